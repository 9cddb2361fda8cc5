import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Workload } from './ai-hall.ts';
import { TwinGpuHost } from './gpu-host.ts';
import { renderDcgmPage, renderQueryGpu, UnknownFieldError } from './gpu-render.ts';

/**
 * The twin's GPU hosts on loopback: one HTTP server that answers, per host,
 *   GET /hosts/:host/metrics      dcgm-exporter's page (what :9400/metrics serves)
 *   GET /hosts/:host/nvidia-smi   the output of nvidia-smi for ?arg=… (used by the stand-in)
 * and one executable per host (`nvidiaSmiPath(host)`), a wrapper around
 * nvidia-smi-standin.mjs, so the agent runs a real process with real arguments and parses
 * real output. A hung host answers neither: requests stay open until the twin closes.
 */
export interface GpuTwinHost {
  host: string;
  gpus: number;
  workload: Workload;
}

export interface GpuTwin {
  url: string;
  hosts: Map<string, TwinGpuHost>;
  /** Executable for GpuHostRef.nvidiaSmiPath. */
  nvidiaSmiPath(host: string): string;
  /** dcgm-exporter URL for the host. */
  dcgmUrl(host: string): string;
  close(): Promise<void>;
}

const STANDIN = fileURLToPath(new URL('./nvidia-smi-standin.mjs', import.meta.url));

export async function startGpuTwin(hosts: readonly GpuTwinHost[], opts: { dir: string; port?: number; now?: () => number }): Promise<GpuTwin> {
  const now = opts.now ?? Date.now;
  const byName = new Map(hosts.map((h) => [h.host, new TwinGpuHost(h.host, h.gpus, h.workload)]));
  const sockets = new Set<Socket>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://twin');
    const m = /^\/hosts\/([^/]+)\/(metrics|nvidia-smi)$/.exec(u.pathname);
    const host = m === null ? undefined : byName.get(decodeURIComponent(m[1] as string));
    if (m === null || host === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('No devices were found\n');
      return;
    }
    if (host.hung) return; // never answered; the socket is destroyed when the twin closes
    try {
      const body = m[2] === 'metrics' ? renderDcgmPage(host, now()) : renderQueryGpu(host, u.searchParams.getAll('arg'), now());
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
    } catch (err) {
      const status = err instanceof UnknownFieldError ? 400 : 500;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`);
    }
  };
  const server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  mkdirSync(opts.dir, { recursive: true });
  const paths = new Map<string, string>();
  for (const h of byName.keys()) {
    const path = join(opts.dir, `nvidia-smi-${h.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
    writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${STANDIN}" "${url}" "${h}" "$@"\n`);
    chmodSync(path, 0o755);
    paths.set(h, path);
  }
  return {
    url,
    hosts: byName,
    nvidiaSmiPath: (h) => {
      const p = paths.get(h);
      if (p === undefined) throw new Error(`twin has no GPU host ${h}`);
      return p;
    },
    dcgmUrl: (h) => `${url}/hosts/${encodeURIComponent(h)}/metrics`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
