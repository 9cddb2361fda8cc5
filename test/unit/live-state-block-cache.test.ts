import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentBatch, Reading } from '../../services/agent-contract/batch-schema.ts';
import { minerDevices } from '../../services/domain/devices.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';

/**
 * The snapshot keeps each block's figures until a batch touches the block (or the second
 * changes): read after every batch, as /api/site and the rollups do, it is the snapshot a
 * fresh computation gives, and a one-block batch recomputes one block, not the site.
 */

const site = loadSiteFile('infra/sites/demo.yaml');
const miners = minerDevices(site);
const blockIds = site.blocks.map((b) => b.id);

function batch(seq: number, atMs: number, blockId: string | null, powerW: number): AgentBatch {
  const readings: Reading[] = miners
    .filter((d) => blockId === null || d.blockId === blockId)
    .map((d, i) => ({ deviceId: d.id, kind: 'miner', blockId: d.blockId, atMs, status: i % 17 === 0 ? 'offline' : 'online', metrics: { power_w: powerW + (i % 7), hashrate_hs: 1e14 }, labels: { model: d.model, mode: i % 11 === 0 ? 'sleeping' : 'mining' } }));
  readings.push({ deviceId: 'M-REV', kind: 'meter', atMs, status: 'online', metrics: { power_w: 90e6 + seq } });
  return { agentId: 'agent-1', siteId: site.site.id, seq, sentAtMs: atMs, readings };
}

test('read after every one-block batch, the snapshot is the one a fresh computation gives', () => {
  let now = Date.UTC(2026, 11, 1);
  const read = new LiveState(site, { now: () => now });
  const batches: AgentBatch[] = [batch(0, now, null, 3000)];
  read.apply(batches[0]!);
  read.snapshot();
  let seq = 1;
  for (let round = 0; round < 3; round++) {
    for (const blockId of blockIds) {
      now += 130; // several batches in one second, and seconds passing
      const b = batch(seq++, now, blockId, 3000 + round * 10);
      batches.push(b);
      read.apply(b);
      read.snapshot();
    }
  }
  const fresh = new LiveState(site, { now: () => now });
  for (const b of batches) fresh.apply(b);
  assert.deepEqual(read.snapshot(), fresh.snapshot());
});

test('a one-block batch recomputes that block only', () => {
  const now = Date.UTC(2026, 11, 1);
  const live = new LiveState(site, { now: () => now });
  live.apply(batch(0, now, null, 3000));
  const before = live.snapshot();
  live.apply(batch(1, now, blockIds[0]!, 3100));
  const after = live.snapshot();
  assert.notEqual(after.blocks[0], before.blocks[0]);
  assert.notDeepEqual(after.blocks[0]!.powerW, before.blocks[0]!.powerW);
  for (let i = 1; i < blockIds.length; i++) assert.equal(after.blocks[i], before.blocks[i], `${blockIds[i]} reused`);
});
