import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino, type Logger } from 'pino';
import { Poller } from '../../agents/poller.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import type { MinerDevice } from '../../services/domain/devices.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin, type Twin } from '../../simulations/site-twin/twin.ts';
import { dialectSite } from '../support/dialect-site.ts';

/**
 * One hung miner (accepts the TCP connection, never answers) among 1,000 twin miners of all
 * five dialects: the poll cycle must not wait on it beyond one per-device deadline. The
 * acceptance: the cycle completes before 2× the per-device deadline, and the hung miner is
 * reported offline with a timeout error while every other miner is online.
 */
const DEADLINE_MS = 2_000;

function captureLog(): { log: Logger; lines: Array<{ msg: string; device?: string }> } {
  const lines: Array<{ msg: string; device?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as { msg: string });
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('poller: a hung miner among 1,000', { timeout: 120_000 }, () => {
  let twin: Twin;
  let hung: net.Server;
  const held = new Set<net.Socket>();
  let hungDevice: MinerDevice;

  before(async () => {
    const log = logger('site-twin');
    log.level = 'error';
    twin = await startTwin(dialectSite(200), { minerPort: 0, antminerWebPort: 0, log });
    // Reads the request and never answers (resume() so the client's close is noticed).
    hung = net.createServer((socket) => {
      held.add(socket);
      socket.resume().on('error', () => socket.destroy()).on('close', () => held.delete(socket));
    });
    await new Promise<void>((ok) => hung.listen(0, '127.0.0.1', ok));
    hungDevice = { id: 'B9-m00001', blockId: 'B9', model: 'S21', firmware: 'braiins', host: '127.0.0.1', port: (hung.address() as net.AddressInfo).port };
  });
  after(async () => {
    for (const s of held) s.destroy();
    await new Promise<void>((ok) => hung.close(() => ok()));
    await twin.stop();
  });

  test('the cycle completes before 2× the per-device deadline; the hung miner is offline (timeout)', async (t) => {
    assert.equal(twin.miners.length, 1_000);
    const readings = new Map<string, Reading>();
    const { log, lines } = captureLog();
    // The hung miner sits in the middle, so slots after it must not queue behind it.
    const miners = [...twin.miners.slice(0, 500), hungDevice, ...twin.miners.slice(500)];
    const poller = new Poller(
      { miners, minerIntervalMs: 60_000, minerTimeoutMs: DEADLINE_MS, minerConcurrency: 128, minerInventoryIntervalMs: 0 },
      (r) => readings.set(r.deviceId, r),
      log,
    );
    try {
      const first = await poller.pollMinersOnce();
      t.diagnostic(`cycle over ${miners.length} miners with one hung: ${first.wallMs} ms (deadline ${DEADLINE_MS} ms), ${first.online} online`);
      assert.ok(first.wallMs < 2 * DEADLINE_MS, `cycle took ${first.wallMs} ms, not under 2 × ${DEADLINE_MS} ms`);
      assert.equal(first.online, 1_000);
      const r = readings.get(hungDevice.id);
      assert.equal(r?.status, 'offline');
      assert.deepEqual(r?.metrics, {});
      assert.match(r?.error ?? '', /timeout|no complete reply within/);

      // Offline → logged once; still offline next cycle → not logged again; back → logged once.
      await poller.pollMinersOnce();
      const hungHost = hungDevice.host;
      hungDevice.host = twin.miners[0]?.host as string;
      hungDevice.port = twin.miners[0]?.port as number;
      await poller.pollMinersOnce();
      hungDevice.host = hungHost;
      const about = lines.filter((l) => l.device === hungDevice.id);
      assert.deepEqual(
        about.map((l) => l.msg.replace(/:.*$/, '')),
        [`miner ${hungDevice.id} is offline`, `miner ${hungDevice.id} is back online`],
      );
    } finally {
      await poller.stop();
    }
  });
});
