import type { FastifyInstance } from 'fastify';
import { NoQuery } from '../schemas.ts';

/**
 * GET /api/gpus: the live GPU fleet by host (what the AI hall page's heatmap shows now).
 * A host that did not answer is listed with status offline or stale and no invented values.
 */
export async function gpuRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/gpus', { config: { access: 'read' }, schema: { querystring: NoQuery } }, async () => {
    const { live, site } = app.services;
    const hosts = new Map<string, { host: string; block: string; tenant: string | null; status: 'online' | 'offline' | 'stale'; gpus: unknown[] }>();
    for (const h of site.gpuHosts) {
      const tenant = site.blocks.find((b) => b.id === h.blockId)?.contractId ?? null;
      hosts.set(h.host, { host: h.host, block: h.blockId, tenant, status: 'offline', gpus: [] });
    }
    for (const b of site.blocks) {
      for (const r of live.readingsInBlock(b.id)) {
        if (r.kind !== 'gpu' || r.labels?.mig_parent !== undefined) continue;
        const name = r.labels?.host ?? r.deviceId;
        const h = hosts.get(name) ?? { host: name, block: b.id, tenant: b.contractId ?? null, status: 'offline' as const, gpus: [] };
        hosts.set(name, h);
        if (r.status !== 'online') continue;
        const stale = r.labels?.stale === 'true';
        h.status = stale ? (h.status === 'online' ? 'online' : 'stale') : 'online';
        h.gpus.push({
          id: r.deviceId,
          index: r.labels?.index === undefined ? null : Number(r.labels.index),
          atMs: r.atMs,
          stale,
          powerW: r.metrics.power_w ?? null,
          utilizationPct: r.metrics.utilization_pct ?? null,
          tempC: r.metrics.temp_c ?? null,
          throttleReasons: r.labels?.throttle_reasons ?? null,
        });
      }
    }
    return { hosts: [...hosts.values()] };
  });
}
