import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../../lib/strict.ts';
import { ApiError } from '../errors.ts';
import { NoQuery, responses } from '../schemas.ts';

/**
 * What-if Monte Carlo runs: start one (finance, admin), watch its progress, cancel it, list
 * the saved ones, export one as CSV or JSON. The engine lives in simulations/finance/ (which
 * services/ never imports): the wiring hands the API a SimulationPort.
 */

export interface SimulationIssue {
  /** Key path in the scenario, e.g. btc.volatilityPctPerYear. */
  path: string;
  message: string;
}

export class ScenarioInvalidError extends Error {
  readonly issues: SimulationIssue[];
  constructor(issues: SimulationIssue[]) {
    super(`scenario: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'ScenarioInvalidError';
    this.issues = issues;
  }
}

export class TooManyPathsError extends Error {
  readonly limit: number;
  constructor(paths: number, limit: number) {
    super(`${paths} paths is more than this machine runs: the limit is ${limit}`);
    this.name = 'TooManyPathsError';
    this.limit = limit;
  }
}

export type SimulationStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface SimulationRecord {
  id: string;
  name: string;
  status: SimulationStatus;
  paths: number;
  seed: number;
  donePaths: number;
  createdAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  error: string | null;
}

export interface SimulationPort {
  readonly maxPaths: number;
  /** Validates (ScenarioInvalidError, TooManyPathsError: nothing saved), saves, queues; the new id. */
  submit(req: { name?: string; scenario: unknown; paths: number; seed?: number }): Promise<string>;
  get(id: string): Promise<(SimulationRecord & { scenario: unknown; result: unknown }) | null>;
  list(): Promise<SimulationRecord[]>;
  /** Asks a queued or running run to stop; false when it has finished. */
  cancel(id: string): Promise<boolean>;
  /** Months' percentiles and probabilities as CSV. */
  csv(id: string): Promise<string | null>;
  /** What the scenario form starts from: the company's contracts, mining blocks, outlook and a default scenario. */
  defaults(): unknown;
}

const Id = Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' });
const IdParams = Strict({ id: Id });
const ExportQuery = Strict({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) });
const SubmitBody = Strict({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** The scenario as the scenario file holds it (validated by the engine, keys named on error). */
  scenario: Type.Unknown(),
  paths: Type.Integer({ minimum: 1 }),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
});
const RecordSchema = Strict({
  id: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('cancelled')]),
  paths: Type.Integer(),
  seed: Type.Integer(),
  donePaths: Type.Integer(),
  createdAtMs: Type.Number(),
  startedAtMs: Type.Union([Type.Number(), Type.Null()]),
  finishedAtMs: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
const DetailSchema = Type.Composite([RecordSchema, Strict({ progress: Type.Number(), scenario: Type.Unknown(), result: Type.Unknown() })]);
const ListSchema = Strict({ simulations: Type.Array(RecordSchema), maxPaths: Type.Integer() });
const pageDir = fileURLToPath(new URL('../../../dashboards/whatif/', import.meta.url));
const WRITE = ['finance', 'admin'] as const;
const READ = ['finance', 'admin'] as const;

export async function simulationRoutes(app: FastifyInstance): Promise<void> {
  // The what-if page (dashboards/whatif/): static files, no data; it reads the routes below.
  await app.register(fastifyStatic, { root: pageDir, prefix: '/whatif/', wildcard: false, index: ['index.html'], decorateReply: false, redirect: true });
  const port = () => {
    const p = app.services.simulations;
    if (!p) throw new ApiError('E_UNAVAILABLE', 'simulations are not running in this process (no company file)');
    return p;
  };

  app.post<{ Body: Static<typeof SubmitBody> }>(
    '/api/simulations',
    { config: { access: WRITE }, schema: { querystring: NoQuery, body: SubmitBody, response: responses({ 202: Strict({ id: Type.String(), status: Type.Literal('queued') }) }) } },
    async (req, reply) => {
      try {
        const id = await port().submit(req.body);
        return reply.status(202).send({ id, status: 'queued' as const });
      } catch (err) {
        if (err instanceof ScenarioInvalidError) throw new ApiError('E_VALIDATION', err.message, { issues: err.issues });
        if (err instanceof TooManyPathsError) throw new ApiError('E_UNPROCESSABLE', err.message);
        throw err;
      }
    },
  );

  app.get('/api/simulations', { config: { access: READ }, schema: { querystring: NoQuery, response: responses({ 200: ListSchema }) } }, async () => ({
    simulations: await port().list(),
    maxPaths: port().maxPaths,
  }));

  app.get('/api/simulations/defaults', { config: { access: READ }, schema: { querystring: NoQuery } }, async () => port().defaults());

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof ExportQuery> }>(
    '/api/simulations/:id',
    { config: { access: READ }, schema: { params: IdParams, querystring: ExportQuery, response: responses({ 200: DetailSchema }) } },
    async (req, reply: FastifyReply) => {
      const rec = await port().get(req.params.id);
      if (!rec) throw new ApiError('E_NOT_FOUND', `no simulation "${req.params.id}"`);
      if (req.query.format === 'csv') {
        const csv = await port().csv(req.params.id);
        if (csv === null) throw new ApiError('E_UNPROCESSABLE', `simulation ${req.params.id} is ${rec.status}: only a finished run exports`);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="simulation-${rec.id}.csv"`)
          .serializer((s: string) => s)
          .send(csv);
      }
      if (req.query.format === 'json') void reply.header('content-disposition', `attachment; filename="simulation-${rec.id}.json"`);
      return { ...rec, progress: rec.paths > 0 ? rec.donePaths / rec.paths : 0 };
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/simulations/:id',
    { config: { access: WRITE }, schema: { params: IdParams, querystring: NoQuery, response: responses({ 202: Strict({ id: Type.String(), cancelRequested: Type.Boolean() }) }) } },
    async (req, reply) => {
      const rec = await port().get(req.params.id);
      if (!rec) throw new ApiError('E_NOT_FOUND', `no simulation "${req.params.id}"`);
      if (!(await port().cancel(req.params.id))) throw new ApiError('E_UNPROCESSABLE', `simulation ${req.params.id} has already finished (${rec.status})`);
      return reply.status(202).send({ id: req.params.id, cancelRequested: true });
    },
  );
}
