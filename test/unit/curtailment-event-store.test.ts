import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Database } from 'better-sqlite3';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import { addMeterSamples, addTimeline, logCommands, newEventRecord, recordAcks, transition, type EventRecord } from '../../services/curtailment/event-record.ts';
import { SqliteEventStore, type EventControl } from '../../services/curtailment/event-store.ts';
import { openStore } from '../../services/store/sqlite.ts';

/**
 * Issue 10: the whole event record (445–715 KB at 3,180 devices) was rewritten on every save.
 * Records are rows now; a save writes what changed. Bytes are counted at the database
 * boundary (every string and number bound to a statement), so the count does not depend on
 * the store's own bookkeeping.
 */

function countingDb(db: Database): { db: Database; bytes: () => number; reset: () => void } {
  let bytes = 0;
  const wrapped = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return (sql: string) => {
          const stmt = target.prepare(sql);
          return new Proxy(stmt, {
            get(s, p, r) {
              if (p === 'run') {
                return (...args: unknown[]) => {
                  for (const a of args) bytes += typeof a === 'string' ? a.length : 8;
                  return s.run(...args);
                };
              }
              const v = Reflect.get(s, p, r) as unknown;
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(s) : v;
            },
          });
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: wrapped, bytes: () => bytes, reset: () => void (bytes = 0) };
}

const control: EventControl = { priority: 50, startMs: 1_800_000_000_000, endMs: 1_800_003_600_000, requestedBy: 'test' };

function bigRecord(devices: number): EventRecord {
  const t0 = 1_800_000_000_000;
  let r = newEventRecord({ id: 'ev-big', program: 'operator', target: { shedMw: 10 }, allowAi: false, signalAtMs: t0 });
  r = addMeterSamples(r, Array.from({ length: 400 }, (_, i) => ({ atMs: t0 - 400_000 + i * 1000, loadW: 40e6 + i })));
  const commands: DeviceCommand[] = Array.from({ length: devices }, (_, i) => ({ deviceId: `B${i % 8}-m${String(i).padStart(5, '0')}`, blockId: `B${i % 8}`, action: 'sleep', expectedDeltaW: -3068 }));
  r = logCommands(r, 'shed', commands, t0 + 1000);
  r = transition(r, 'shedding', t0 + 1000);
  return recordAcks(r, commands.slice(0, devices - 100).map((c, i) => ({ deviceId: c.deviceId, atMs: t0 + 2000 + i, ok: true })));
}

test('a save writes what changed, not the whole record; it reads back the same', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-event-store-'));
  const store = openStore({ dataDir: dir });
  try {
    const counted = countingDb(store.db);
    const events = new SqliteEventStore(counted.db);
    let record = bigRecord(3180);
    const wholeBytes = JSON.stringify(record).length;
    await events.insert({ record, control }, 1, { owner: 'test', untilMs: 2 });
    // The last 100 acks come in, a meter sample and a timeline entry: one save.
    record = recordAcks(record, record.devices.slice(-100).map((d, i) => ({ deviceId: d.deviceId, atMs: d.sentAtMs + 5000 + i, ok: true })));
    record = addMeterSamples(record, [{ atMs: 1_800_000_010_000, loadW: 30e6 }]);
    record = addTimeline(record, [{ kind: 'meter-confirmed', atMs: 1_800_000_010_000, detail: 'test' }]);
    counted.reset();
    await events.save(record, 2);
    const saveBytes = counted.bytes();
    t.diagnostic(`3,180 devices: whole record ${wholeBytes} B; one save after 100 acks wrote ${saveBytes} B`);
    assert.ok(wholeBytes > 400_000, `the record is big (${wholeBytes} B)`);
    assert.ok(saveBytes < 30_000, `a save of 100 acks wrote ${saveBytes} B (the whole record is ${wholeBytes} B)`);
    // A save with nothing new writes only the head.
    counted.reset();
    await events.save(record, 3);
    assert.ok(counted.bytes() < 2_000, `an unchanged save wrote ${counted.bytes()} B`);
    assert.deepEqual((await events.get('ev-big'))!.record, record);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a record saved whole before the migration is read, resumed, and turns into rows on its next save', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-event-store-'));
  const store = openStore({ dataDir: dir });
  try {
    let record = bigRecord(50);
    store.db
      .prepare('INSERT INTO curtailment_events (id, status, externalId, createdAtMs, updatedAtMs, control, record, open) VALUES (?, ?, NULL, 1, 1, ?, ?, 1)')
      .run(record.id, record.status, JSON.stringify(control), JSON.stringify(record));
    const events = new SqliteEventStore(store.db);
    assert.deepEqual((await events.get(record.id))!.record, record);
    const [resumed] = await events.active();
    assert.deepEqual(resumed!.record, record);
    record = recordAcks(resumed!.record, record.devices.slice(-100).filter((d) => d.outcome === 'pending').map((d) => ({ deviceId: d.deviceId, atMs: d.sentAtMs + 1, ok: false, error: 'timeout' })));
    await events.save(record, 5);
    assert.equal((store.db.prepare('SELECT layout FROM curtailment_events WHERE id = ?').get(record.id) as { layout: string }).layout, 'rows');
    assert.deepEqual((await events.get(record.id))!.record, record);
    await events.close(record.id);
    assert.deepEqual(await events.active(), []);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
