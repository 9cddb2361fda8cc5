import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Spool } from '../../agents/spool/spool.ts';
import type { AgentBatch } from '../../services/agent-contract/batch-schema.ts';
import { logger } from '../../services/lib/log.ts';

const log = logger('test');
log.level = 'silent';
const batch = (seq: number, n = 3): AgentBatch => ({
  agentId: 'a',
  siteId: 's',
  seq,
  sentAtMs: 0,
  readings: Array.from({ length: n }, (_, i) => ({ deviceId: `d${i}`, kind: 'miner' as const, atMs: seq, status: 'online' as const, metrics: { power_w: 3000 + i } })),
});

test('the spool replays in order after a restart and forgets acknowledged batches', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = Spool.open({ dir, segmentBytes: 64 * 1024 }, log);
  for (const seq of [10, 11, 12]) a.append(batch(seq));
  a.ack(10);
  a.close();
  const b = Spool.open({ dir }, log);
  assert.equal(b.peek()?.seq, 11);
  assert.equal(b.maxSeq(), 12);
  assert.deepEqual([b.stats().batches, b.stats().readings], [2, 6]);
  b.ack(11);
  b.ack(12);
  assert.equal(b.isEmpty(), true);
  assert.throws(() => b.ack(13), /ack of seq 13, but the oldest batch is none/);
});

test('past maxBytes the oldest segment is evicted, counted and reported', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const one = Buffer.byteLength(`${JSON.stringify(batch(1000))}\n`);
  // Segments of ~2 batches, room for ~4: appending 10 must evict the oldest segments.
  const spool = Spool.open({ dir, maxBytes: one * 4, segmentBytes: one * 2 }, log);
  for (let seq = 1000; seq < 1010; seq++) spool.append(batch(seq));
  const s = spool.stats();
  assert.ok(s.bytes <= one * 4 + one, `bytes ${s.bytes}`);
  assert.equal(s.evictedBatches + s.batches, 10, 'every batch is either held or counted as evicted');
  assert.equal(s.evictedReadings, s.evictedBatches * 3);
  assert.ok(s.evictedBatches > 0);
  assert.equal(spool.peek()?.seq, 1000 + s.evictedBatches, 'oldest first');
});

test('the spool keeps where batches lie, not the batches: each is read back from disk, in order, across segments', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Small segments, so the batches span several files.
  const s = Spool.open({ dir, segmentBytes: 600 }, log);
  const appended = [20, 21, 22, 23, 24].map((seq) => batch(seq, seq - 18));
  for (const b of appended) s.append(b);
  assert.ok(s.stats().segments >= 2, `segments: ${s.stats().segments}`);
  // What the shipper handed over is not what the spool gives back: changing it changes nothing.
  for (const b of appended) b.readings.length = 0;
  for (const seq of [20, 21, 22, 23, 24]) {
    const got = s.peek();
    assert.deepEqual(got, batch(seq, seq - 18));
    assert.equal(s.peek(), got, 'peeked again before the ack: the same batch, not read twice');
    s.ack(seq);
  }
  assert.equal(s.peek(), undefined);
  assert.equal(s.isEmpty(), true);
  s.close();
});
