import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NoQuery, responses } from '../schemas.ts';

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
      return {
        status: ageMs !== null && ageMs <= DEGRADED_AFTER_MS ? 'ok' : 'degraded',
        version: s.version,
        uptimeS: Math.round((now - s.startedAtMs) / 100) / 10,
        startedAtMs: s.startedAtMs,
        siteId: s.site.site.id,
        store: { kind: s.kinds.store },
        history: { kind: s.kinds.history },
        queue: { kind: s.kinds.queue },
        lastReadingAgeMs: ageMs,
        agents: s.live.agents().map((a) => ({ ...a, ageMs: Math.max(0, now - a.lastSeenMs) })),
      };
    },
  );
}
