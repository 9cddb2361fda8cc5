import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../domain/schema.ts';
import { Strict } from '../../lib/strict.ts';
import { EngineError, type CurtailmentEngine } from '../../curtailment/engine.ts';
import { toCsv } from '../../curtailment/event-csv.ts';
import { EventId, EventRecord, EventStatus } from '../../curtailment/event-record.ts';
import { checkOperatorCurtail, DispatchError } from '../../curtailment/webhook-schema.ts';
import { ApiError } from '../errors.ts';
import { NoQuery, responses } from '../schemas.ts';
import { dispatchWebhookRoutes } from './dispatch-webhook.ts';

/**
 * Curtailment: the operator's request, the grid dispatch webhook, a dry-run shed plan, the
 * event records (JSON or settlement CSV) and the admin's abort.
 */

const IdParams = Strict({ id: EventId });
const RecordQuery = Strict({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])), intervalMinutes: Type.Optional(Type.String({ pattern: '^(1|5|15|30|60)$' })) });
const Created = Strict({ eventId: Type.String(), status: EventStatus });
const EventList = Strict({ events: Type.Array(Strict({ id: Type.String(), status: EventStatus, createdAtMs: Type.Integer(), updatedAtMs: Type.Integer() })) });
const PreviewBody = Strict({ targetMw: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })), shedMw: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })), allowAi: Type.Optional(Type.Boolean()) });
const PlanPreview = Type.Object({}, { additionalProperties: true });
const ANY_BODY = Type.Unknown();

export async function curtailmentRoutes(app: FastifyInstance): Promise<void> {
  const engine = (): CurtailmentEngine => {
    const e = app.services.curtailment;
    if (!e) throw new ApiError('E_UNAVAILABLE', 'the curtailment engine is not running in this process');
    return e;
  };
  const clientError = (err: unknown): never => {
    if (err instanceof ValidationError) throw new ApiError('E_VALIDATION', err.message, { issues: err.issues });
    if (err instanceof DispatchError || err instanceof EngineError) throw new ApiError('E_UNPROCESSABLE', err.message);
    throw err;
  };

  app.post(
    '/api/curtailment/events',
    { config: { access: ['operator', 'admin'] }, schema: { querystring: NoQuery, body: ANY_BODY, response: responses({ 202: Created }) } },
    async (req, reply) => {
      try {
        const body = checkOperatorCurtail(req.body);
        const now = Date.now();
        const target = body.targetMw !== undefined ? { targetMw: body.targetMw } : { shedMw: body.shedMw! };
        const { eventId } = await engine().request({ program: 'operator', target, startMs: now, endMs: now + body.durationMs, requestedBy: req.principal!.name, reason: body.reason, ...(body.allowHardCut ? { allowHardCut: true } : {}) });
        return reply.status(202).send({ eventId, status: (await engine().load(eventId))!.status });
      } catch (err) {
        return clientError(err);
      }
    },
  );

  await app.register(dispatchWebhookRoutes, { auth: app.services.webhook, engine, clientError });

  app.post<{ Body: Static<typeof PreviewBody> }>(
    '/api/curtailment/preview',
    { config: { access: ['operator', 'finance', 'admin'] }, schema: { querystring: NoQuery, body: PreviewBody, response: responses({ 200: PlanPreview }) } },
    async (req) => {
      const { targetMw, shedMw, allowAi } = req.body;
      if ((targetMw === undefined) === (shedMw === undefined)) throw new ApiError('E_VALIDATION', 'give exactly one of "targetMw" or "shedMw"');
      try {
        return engine().preview(targetMw !== undefined ? { targetMw } : { shedMw: shedMw! }, allowAi ?? false);
      } catch (err) {
        return clientError(err);
      }
    },
  );

  app.get('/api/curtailment/events', { config: { access: 'read' }, schema: { querystring: NoQuery, response: responses({ 200: EventList }) } }, async () => ({ events: await engine().listStored(200) }));

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof RecordQuery> }>(
    '/api/curtailment/events/:id',
    { config: { access: 'read' }, schema: { params: IdParams, querystring: RecordQuery, response: responses({ 200: Type.Union([EventRecord, Type.String()]) }) } },
    async (req, reply) => {
      const record = await engine().load(req.params.id);
      if (!record) throw new ApiError('E_NOT_FOUND', `no curtailment event "${req.params.id}"`);
      if (req.query.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${record.id}.csv"`)
          .serializer((x: unknown) => String(x))
          .send(toCsv(record, Number(req.query.intervalMinutes ?? 5)));
      }
      return record;
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/curtailment/events/:id/abort',
    { config: { access: ['admin'] }, schema: { params: IdParams, querystring: NoQuery, response: responses({ 200: EventRecord }) } },
    async (req) => {
      try {
        return await engine().abort(req.params.id, req.principal!.name);
      } catch (err) {
        if (err instanceof EngineError && /is not active/.test(err.message) && !(await engine().load(req.params.id))) throw new ApiError('E_NOT_FOUND', `no curtailment event "${req.params.id}"`);
        return clientError(err);
      }
    },
  );
}
