import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NoQuery, responses } from '../schemas.ts';
import { REJECT_REASONS, zeroCounts } from '../ingest/screen.ts';


const RejectCountsSchema = Type.Object(Object.fromEntries(REJECT_REASONS.map((r) => [r, Type.Integer({ minimum: 0 })])), { additionalProperties: false });

const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    version: Type.String(),
    uptimeS: Type.Number(),
    startedAtMs: Type.Integer(),
    siteId: Type.String(),
    store: Type.Object({ kind: Type.String() }, { additionalProperties: false }),
    history: Type.Object({ kind: Type.String() }, { additionalProperties: false }),
    queue: Type.Object({ kind: Type.String() }, { additionalProperties: false }),
    /** Age of the newest device reading; null before the first batch. */
    lastReadingAgeMs: Type.Union([Type.Integer(), Type.Null()]),
    /** Readings refused since start, by reason. */
    ingestRejected: RejectCountsSchema,
    /** Command acks refused (curtailment/agent-hub.ts): a batch never sent, sent to another agent, a device not in it. */
    acksRejected: Type.Object({ 'unknown-batch': Type.Integer(), 'other-agent': Type.Integer(), 'device-not-in-batch': Type.Integer(), 'not-owner': Type.Integer() }, { additionalProperties: false }),
    agents: Type.Array(
      Type.Object(
        {
          agentId: Type.String(),
          lastSeenMs: Type.Integer(),
          ageMs: Type.Integer(),
          lastSeq: Type.Integer(),
          batches: Type.Integer(),
          duplicates: Type.Integer(),
          readings: Type.Integer(),
          /** Newest reading accepted from this agent; null before the first. */
          newestReadingAtMs: Type.Union([Type.Integer(), Type.Null()]),
          /** No accepted reading for DEGRADED_AFTER_MS (or none yet from an agent the site file names). */
          stale: Type.Boolean(),
          /** Readings refused from this agent, by reason (ingest/screen.ts). */
          rejected: RejectCountsSchema,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Degraded: no reading for this long (the agent or the devices are gone). */
const DEGRADED_AFTER_MS = 60_000;

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/health',
    { config: { access: 'read' }, schema: { querystring: NoQuery, response: responses({ 200: Health }) } },
    async () => {
      const s = app.services;
      const now = Date.now();
      const last = s.live.snapshot().lastReadingAtMs;
      const ageMs = last === null ? null : Math.max(0, now - last);
      const agents = agentRows(s, now);
      return {
        status: ageMs !== null && ageMs <= DEGRADED_AFTER_MS && !agents.some((a) => a.stale) ? 'ok' : 'degraded',
        version: s.version,
        uptimeS: Math.round((now - s.startedAtMs) / 100) / 10,
        startedAtMs: s.startedAtMs,
        siteId: s.site.site.id,
        store: { kind: s.kinds.store },
        history: { kind: s.kinds.history },
        queue: { kind: s.kinds.queue },
        lastReadingAgeMs: ageMs,
        ingestRejected: s.ingest.rejectedTotals(),
        acksRejected: s.agentHub?.rejectedAcks() ?? { 'unknown-batch': 0, 'other-agent': 0, 'device-not-in-batch': 0, 'not-owner': 0 },
        agents,
      };
    },
  );
}

/**
 * One row per agent that shipped or that the site file names. An agent is stale when its
 * newest accepted reading is older than DEGRADED_AFTER_MS: a live agent whose devices
 * stopped answering is as much a problem as one that stopped shipping.
 */
function agentRows(s: FastifyInstance['services'], now: number) {
  const seen = new Map(s.live.agents().map((a) => [a.agentId, a]));
  const ingest = new Map(s.ingest.agents().map((a) => [a.agentId, a]));
  const ids = [...new Set([...s.ingest.expectedAgents(), ...seen.keys()])];
  return ids.map((agentId) => {
    const a = seen.get(agentId) ?? { agentId, lastSeenMs: 0, lastSeq: -1, batches: 0, duplicates: 0, readings: 0 };
    const i = ingest.get(agentId);
    const newest = i?.newestReadingAtMs ?? null;
    return {
      ...a,
      ageMs: a.batches === 0 ? 0 : Math.max(0, now - a.lastSeenMs),
      newestReadingAtMs: newest,
      stale: newest === null || now - newest > DEGRADED_AFTER_MS,
      rejected: i?.rejected ?? zeroCounts(),
    };
  });
}
