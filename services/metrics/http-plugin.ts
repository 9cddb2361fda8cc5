import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ControlPlaneMetrics } from './control-plane.ts';

export interface MetricsPluginOptions {
  metrics: ControlPlaneMetrics;
}

const INGEST_ROUTE = '/api/ingest';

interface IngestAckLike {
  accepted?: unknown;
  duplicate?: unknown;
  rejected?: unknown;
}

/**
 * GET /metrics (Prometheus text format) and the series filled per request: latency by route
 * template, and for the ingest route the batches, readings, rejections and lag. Access like
 * the other reads: open on the embedded setup, a viewer token (or any person's) with
 * SWITCHYARD_READ_REQUIRES_TOKEN=1 — Prometheus sends one (authorization: credentials_file),
 * made with `switchyard tokens create --role viewer --name prometheus`.
 */
export const metricsPlugin = fp<MetricsPluginOptions>(
  async (app: FastifyInstance, { metrics }) => {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });

    app.addHook('onSend', async (req, reply, payload) => {
      if (req.routeOptions.url !== INGEST_ROUTE || req.method !== 'POST') return payload;
      observeIngest(metrics, req, reply.statusCode, payload);
      return payload;
    });

    app.get(
      '/metrics',
      {
        config: { access: 'read' },
        schema: {
          description: 'Prometheus metrics of this control plane (text exposition format 0.0.4)',
          tags: ['operations'],
          querystring: Type.Object({}, { additionalProperties: false }),
          response: { 200: Type.String({ description: 'Prometheus text format' }) },
        },
      },
      async (_req, reply) => {
        const text = await metrics.text();
        return reply.type(metrics.contentType).send(text);
      },
    );
  },
  { name: 'switchyard-metrics' },
);

function observeIngest(metrics: ControlPlaneMetrics, req: FastifyRequest, status: number, payload: unknown): void {
  const readings = (req.body as { readings?: unknown } | undefined)?.readings;
  const count = Array.isArray(readings) ? readings.length : 0;
  let body: (IngestAckLike & { error?: { code?: unknown } }) | undefined;
  try {
    body = typeof payload === 'string' ? (JSON.parse(payload) as IngestAckLike) : undefined;
  } catch {
    body = undefined; // not JSON: counted below by its HTTP status
  }
  if (status >= 400) {
    const code = body?.error?.code;
    const reason = typeof code === 'string' ? code : `http_${status}`;
    metrics.ingestBatches.inc({ outcome: 'rejected' });
    if (count > 0) metrics.readingsRejected.inc({ reason }, count);
    return;
  }
  if (body?.duplicate === true) {
    metrics.ingestBatches.inc({ outcome: 'duplicate' });
    return;
  }
  const accepted = typeof body?.accepted === 'number' ? body.accepted : 0;
  metrics.ingestBatches.inc({ outcome: 'applied' });
  metrics.ingestReadings.inc(accepted);
  let refused = 0;
  if (typeof body?.rejected === 'object' && body.rejected !== null) {
    for (const [reason, n] of Object.entries(body.rejected as Record<string, unknown>)) {
      if (typeof n === 'number' && n > 0) {
        metrics.readingsRejected.inc({ reason }, n);
        refused += n;
      }
    }
  }
  // The live state keeps the latest reading per device: an older one replayed after it is not applied.
  const superseded = count - accepted - refused;
  if (superseded > 0) metrics.readingsRejected.inc({ reason: 'older_than_latest' }, superseded);
  if (Array.isArray(readings) && accepted > 0) {
    let newest = 0;
    for (const r of readings as Array<{ atMs?: unknown }>) if (typeof r.atMs === 'number' && r.atMs > newest) newest = r.atMs;
    if (newest > 0) metrics.ingestLag.observe(Math.max(0, Date.now() - newest) / 1000);
  }
}
