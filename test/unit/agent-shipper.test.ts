import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { DeviceStates } from '../../agents/device-states.ts';
import { Shipper } from '../../agents/shipper.ts';
import type { AgentBatch, Reading } from '../../services/agent-contract/batch-schema.ts';
import { until } from '../support/until.ts';

function recordingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

const reading = (deviceId: string, status: Reading['status'] = 'online'): Reading => ({
  deviceId,
  kind: 'miner',
  atMs: Date.now(),
  status,
  metrics: status === 'online' ? { power_w: 3500 } : {},
  ...(status === 'online' ? {} : { error: `polling miner ${deviceId}: connect ECONNREFUSED` }),
});

const waitFor = (what: string, ms: number, ok: () => boolean): Promise<true> => until(what, () => ok() || undefined, ms, 20);

describe('shipper', () => {
  test('retries with backoff, keeps order, drops a batch the server calls bad, bounds its queue', async () => {
    const received: AgentBatch[] = [];
    const statuses = [503, 503, 200, 400, 200];
    let call = 0;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        assert.equal(req.headers.authorization, 'Bearer tok');
        assert.equal(req.url, '/api/ingest');
        const status = statuses[call++] ?? 200;
        if (status === 200) received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AgentBatch);
        res.writeHead(status).end(status === 200 ? '{}' : 'nope');
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { log, lines } = recordingLogger();
    const shipper = new Shipper(
      { agentId: 'a', siteId: 's', controlPlaneUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, token: 'tok', shipIntervalMs: 30, maxBatchReadings: 2, firstSeq: 100 },
      log,
    );
    shipper.start();
    for (const id of ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']) shipper.add(reading(id));
    await waitFor('two batches through and one rejected', 10_000, () => received.length >= 2 && shipper.stats().queuedBatches === 0);
    await shipper.stop();
    server.close();
    // Batch 100 failed twice (503) then went through; 101 was refused (400) and dropped; 102 went.
    assert.deepEqual(received.map((b) => b.seq), [100, 102]);
    assert.deepEqual(received.map((b) => b.readings.map((r) => r.deviceId)), [['m1', 'm2'], ['m5', 'm6']]);
    const stats = shipper.stats();
    assert.equal(stats.failedAttempts, 3);
    assert.equal(stats.droppedReadings, 2);
    assert.ok(lines.some((l) => l.msg === 'shipping a batch failed; will retry'));
    assert.ok(lines.some((l) => l.msg === 'ingest rejected a batch; dropping it'));
  });

  test('an unreachable control plane: readings wait in memory up to the bound, oldest dropped first', async () => {
    const { log } = recordingLogger();
    const closed = http.createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    const shipper = new Shipper({ agentId: 'a', siteId: 's', controlPlaneUrl: `http://127.0.0.1:${port}`, token: 't', shipIntervalMs: 20, maxBatchReadings: 1, maxQueuedReadings: 3, firstSeq: 1 }, log);
    shipper.start();
    for (let i = 0; i < 5; i++) shipper.add(reading(`m${i}`));
    await waitFor('a failed attempt', 5_000, () => shipper.stats().failedAttempts > 0);
    await shipper.stop(200);
    const stats = shipper.stats();
    assert.equal(stats.queuedReadings, 3);
    assert.equal(stats.droppedReadings, 2);
    assert.match(stats.lastError ?? '', /ECONNREFUSED/);
  });
});

describe('device state changes', () => {
  test('logged once each way; a mass outage is summarised', () => {
    const { log, lines } = recordingLogger();
    const states = new DeviceStates(log, 3);
    states.record(reading('m1'));
    states.record(reading('m1'));
    assert.equal(lines.length, 0, 'a device first seen healthy is not news');
    states.record(reading('m1', 'offline'));
    states.record(reading('m1', 'offline'));
    states.record(reading('m1'));
    states.flush();
    assert.deepEqual(lines.map((l) => l.msg), [
      'miner m1 is offline: polling miner m1: connect ECONNREFUSED',
      'miner m1 is back online',
    ]);
    lines.length = 0;
    for (let i = 0; i < 10; i++) states.record(reading(`x${i}`, 'offline'));
    states.flush();
    assert.equal(lines.length, 4);
    assert.equal(lines[3]?.msg, '7 more devices changed unknown→offline');
    assert.deepEqual(states.counts(), { online: 1, offline: 10, error: 0 });
  });
});
