import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentBatch, type Reading } from '../../services/agent-contract/batch-schema.ts';
import { check } from '../../services/domain/schema.ts';

/**
 * A stand-in control plane for agent tests that need only its ingest endpoint: validates each
 * batch as the real one does, keeps what arrived, and answers 401/400 like the real one.
 */
export interface FakeIngest {
  url: string;
  batches: AgentBatch[];
  readings: Reading[];
  /** The newest reading per device. */
  latest: Map<string, Reading>;
  rejected: string[];
  close(): Promise<void>;
}

export async function startFakeIngest(token: string): Promise<FakeIngest> {
  const batches: AgentBatch[] = [];
  const readings: Reading[] = [];
  const latest = new Map<string, Reading>();
  const rejected: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/ingest' || req.headers.authorization !== `Bearer ${token}`) {
        rejected.push(`${req.method} ${req.url} ${req.headers.authorization}`);
        res.writeHead(401).end();
        return;
      }
      let batch: AgentBatch;
      try {
        batch = check(AgentBatch, JSON.parse(Buffer.concat(chunks).toString('utf8')), 'batch');
      } catch (err) {
        rejected.push((err as Error).message);
        res.writeHead(400).end((err as Error).message);
        return;
      }
      batches.push(batch);
      readings.push(...batch.readings);
      for (const r of batch.readings) {
        const prev = latest.get(r.deviceId);
        if (prev === undefined || prev.atMs <= r.atMs) latest.set(r.deviceId, r);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: batch.readings.length, duplicate: false, seq: batch.seq }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches,
    readings,
    latest,
    rejected,
    close: () => new Promise<void>((ok, fail) => server.close((err) => (err ? fail(err) : ok()))),
  };
}
