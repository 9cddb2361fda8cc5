import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AgentBatch, IngestAck } from '../../agent-contract/batch-schema.ts';
import { validator } from '../../domain/schema.ts';
import { errorMessage } from '../../lib/errors.ts';
import { Strict } from '../../lib/strict.ts';
import { ApiError } from '../errors.ts';
import { checkReadings, MAX_ISSUES } from '../ingest/reading-check.ts';
import { NoQuery, responses } from '../schemas.ts';

/**
 * The batch without its readings: checked by fastify before the handler runs. The readings
 * are checked by the handler in chunks (ingest/reading-check.ts); the route still declares
 * the whole AgentBatch, which is what clients and the API description see.
 */
const Envelope = Strict({ ...AgentBatch.properties, readings: Type.Array(Type.Unknown(), { maxItems: AgentBatch.properties.readings.maxItems }) });

export interface IngestRouteOptions {
  bodyLimit: number;
}

/**
 * POST /api/ingest: an agent's batch. Applied once per (agentId, seq): a replay is
 * acknowledged with duplicate:true and not applied again. The live state is updated before
 * the ack; the history write follows asynchronously so a slow historian never stalls agents.
 */
export async function ingestRoutes(app: FastifyInstance, opts: IngestRouteOptions): Promise<void> {
  const { live, ledger, history, site, ingest } = app.services;
  const log = app.services.log.child({ part: 'ingest' });
  let historyFailing = false;

  const writeHistory = (points: Parameters<typeof history.write>[0], agentId: string, seq: number) => {
    if (points.length === 0) return;
    history.write(points).then(
      () => {
        if (historyFailing) log.info({ history: history.kind }, 'history writes recovered');
        historyFailing = false;
      },
      (err: unknown) => {
        if (!historyFailing) log.error({ err, history: history.kind, agentId, seq }, `writing ${points.length} points to the history failed: ${errorMessage(err)}`);
        historyFailing = true;
      },
    );
  };

  app.post<{ Body: AgentBatch }>(
    '/api/ingest',
    {
      bodyLimit: opts.bodyLimit,
      config: { access: ['agent'] },
      validatorCompiler: ({ schema, httpPart }) => validator(httpPart === 'body' ? Envelope : (schema as TSchema)),
      schema: { querystring: NoQuery, body: AgentBatch, response: responses({ 200: IngestAck }) },
    },
    async (req) => {
      const batch = req.body;
      const principal = req.principal!;
      if (principal.name !== batch.agentId) {
        throw new ApiError('E_FORBIDDEN', `the token of agent "${principal.name}" may not ship batches for agent "${batch.agentId}"`);
      }
      if (batch.siteId !== site.site.id) {
        throw new ApiError('E_SITE_MISMATCH', `batch ${batch.agentId}#${batch.seq} is for site "${batch.siteId}"; this control plane runs "${site.site.id}"`);
      }
      const { issues } = await checkReadings(batch.readings);
      if (issues.length > 0) {
        const shown = issues.length >= MAX_ISSUES ? `the first ${MAX_ISSUES} problems` : `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
        throw new ApiError('E_VALIDATION', `batch ${batch.agentId}#${batch.seq} has invalid readings (${shown}): ${issues.slice(0, 5).map((i) => `${i.path} ${i.message}`).join('; ')}`, { issues });
      }
      // The claim is atomic in the store: of two copies of one batch arriving together (here or
      // at another instance), one is applied.
      if (!(await ledger.claim(batch.agentId, batch.seq))) {
        live.noteDuplicate(batch);
        return { accepted: 0, duplicate: true, seq: batch.seq };
      }
      const firstFromAgent = !live.hasAgent(batch.agentId);
      let result;
      let rejected;
      try {
        const screened = ingest.screen(batch.agentId, batch.readings, Date.now());
        rejected = screened.rejected;
        result = live.apply(screened.kept.length === batch.readings.length ? batch : { ...batch, readings: screened.kept });
      } catch (err) {
        // Not applied: its replay must not be taken for a duplicate.
        await ledger.forget(batch.agentId, batch.seq);
        throw err;
      }
      if (firstFromAgent) log.info({ agentId: batch.agentId, seq: batch.seq, readings: batch.readings.length }, 'first batch from agent');
      writeHistory(result.points, batch.agentId, batch.seq);
      const refused = Object.values(rejected).some((n) => n > 0);
      return { accepted: result.accepted, duplicate: false, seq: batch.seq, ...(refused ? { rejected } : {}) };
    },
  );
}
