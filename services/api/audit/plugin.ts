import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorMessage } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { AuditStore } from './audit-log.ts';

/**
 * Writes an audit entry for every control action: a request that may change something
 * (POST, PUT, PATCH, DELETE under /api/), whatever its outcome — refused ones (401, 403, 4xx)
 * included, since a refused attempt is part of the trail. Not audited: agents' telemetry
 * (POST /api/ingest, a batch every few seconds, counted in /metrics) and dry runs
 * (…/preview, which change nothing).
 */
export function isControlAction(method: string, route: string | undefined): route is string {
  if (route === undefined || !route.startsWith('/api/')) return false;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  return route !== '/api/ingest' && !route.endsWith('/preview');
}

function detailOf(req: FastifyRequest): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (req.params && typeof req.params === 'object' && Object.keys(req.params).length > 0) d.params = req.params;
  if (req.body !== undefined && req.body !== null) d.body = req.body;
  return d;
}

export const auditPlugin = fp<{ audit: AuditStore; log: Logger }>(
  async (app: FastifyInstance, { audit, log }) => {
    // onSend, not onResponse: the entry is written before the client hears the answer, so an
    // action the client saw succeed is already in the trail.
    app.addHook('onSend', async (req, reply, payload) => {
      const route = req.routeOptions.url;
      if (!isControlAction(req.method, route)) return payload;
      const p = req.principal;
      try {
        await audit.record({
          atMs: Date.now(),
          actor: p?.id ?? 'anonymous',
          actorName: p?.name ?? null,
          actorRole: p?.role ?? null,
          action: `${req.method} ${route}`,
          detail: detailOf(req),
          fromAddr: req.ip,
          userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 256) : null,
          outcome: String(reply.statusCode),
          requestId: String(req.id),
        });
      } catch (err) {
        // The action has happened; losing its audit row is an error an operator must see.
        log.error({ err, action: `${req.method} ${route}`, actor: p?.id, store: audit.kind }, `writing the audit entry failed: ${errorMessage(err)}`);
      }
      return payload;
    });
  },
  { name: 'switchyard-audit' },
);
