import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { CurtailmentEngine, type CurtailJob, type EngineOptions } from '../../services/curtailment/engine.ts';
import { asicCatalog } from '../../services/domain/catalog.ts';
import { minerDevices } from '../../services/domain/devices.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { logger } from '../../services/lib/log.ts';
import { MemoryQueue } from '../../services/queue/memory.ts';
import { SqliteEventStore } from '../../services/curtailment/event-store.ts';
import { openStore, type RecordsStore } from '../../services/store/sqlite.ts';
import { LiveState } from '../../services/telemetry/live-state.ts';
import { FakeCommandHub } from './fake-command-hub.ts';
import type { EventRecord, EventStatus } from '../../services/curtailment/event-record.ts';
import { until } from './until.ts';

/**
 * The curtailment engine with everything around it in this process: a records store in a
 * temp dir, the in-process queue, live state fed by `tick()` from the fake agent's idea of
 * the devices (a slept miner draws its sleep power, a trimmed one its target), and the revenue
 * meter reading the sum plus `otherLoadW` (AI halls, overhead). `restart()` drops the engine
 * and its queue as a kill -9 would (nothing flushed) and starts a new one on the same store.
 */

export const HARNESS_SITE: SiteFile = {
  site: { id: 'engine-test', name: 'Engine test', timezone: 'America/Chicago', market: { iso: 'ERCOT', settlementPoint: 'HB_WEST' }, importLimitMw: 20, poolFee: 0.02 },
  blocks: [
    { id: 'B1', name: 'S19j', feed: 'T1', capacityMw: 5, cooling: 'air', state: 'mining', capability: ['mining'], overheadFactor: 1, miners: [{ model: 'S19j-Pro', count: 40, firmware: 'antminer', network: { cidr: '127.70.0.0/24', port: 4028 } }], gpus: [] },
    { id: 'B2', name: 'M60S', feed: 'T1', capacityMw: 5, cooling: 'air', state: 'mining', capability: ['mining'], overheadFactor: 1, miners: [{ model: 'M60S', count: 40, firmware: 'whatsminer', network: { cidr: '127.70.1.0/24', port: 4028 } }], gpus: [] },
  ],
  meters: [{ id: 'M-REV', role: 'revenue', host: '127.0.0.1', port: 5020, unitId: 1, profile: 'twin-pm5340' }],
  snmpDevices: [],
  gpuHosts: [],
  contracts: [],
  debt: [],
} as unknown as SiteFile;

export interface Harness {
  engine: CurtailmentEngine;
  hub: FakeCommandHub;
  live: LiveState;
  store: RecordsStore;
  /** Load on the meter besides the miners, W. */
  otherLoadW: number;
  /** Feeds one round of readings (miners and meter) from the fake agent's state. */
  tick(opts?: { meter?: boolean }): void;
  meterW(): number;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function engineHarness(extra: Partial<EngineOptions> = {}, site: SiteFile = HARNESS_SITE): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-engine-'));
  const store = openStore({ dataDir: dir });
  // The fake agent, its meter and the live state keep the engine's clock when a test gives it one.
  const clock = extra.now ?? Date.now;
  const hub = new FakeCommandHub('agent-1', clock);
  const live = new LiveState(site, { now: clock });
  const miners = minerDevices(site);
  const catalog = asicCatalog();
  let seq = 0;
  const log = logger('curtailment');
  log.level = (process.env.HARNESS_LOG as typeof log.level | undefined) ?? 'silent';
  let queue = new MemoryQueue<CurtailJob>('curtailment');
  const make = () =>
    new CurtailmentEngine({
      site,
      events: new SqliteEventStore(store.db),
      live,
      hub,
      queue: (queue = new MemoryQueue<CurtailJob>('curtailment')),
      log,
      supervisorMs: 50,
      confirmWindowMs: 300,
      deviceTimeoutMs: 200,
      attempts: 1,
      agentWaitMs: 500,
      restore: { rampMwPerMin: 6000, staggerMs: 50, minOffMs: 0 },
      ...extra,
    });
  const drawW = (id: string, model: string): number => {
    const m = catalog.get(model)!;
    if (hub.asleep.has(id)) return m.sleepPowerW;
    return hub.targets.get(id) ?? m.powerW;
  };
  const h: Harness = {
    engine: make(),
    hub,
    live,
    store,
    otherLoadW: 500_000,
    meterW: () => miners.reduce((s, d) => s + drawW(d.id, d.model), 0) + h.otherLoadW,
    tick: (opts = {}) => {
      const atMs = clock();
      const readings: Reading[] = miners.map((d) => ({ deviceId: d.id, kind: 'miner', blockId: d.blockId, atMs, status: 'online', metrics: { power_w: drawW(d.id, d.model) }, labels: { model: d.model, mode: hub.asleep.has(d.id) ? 'sleeping' : 'mining' } }));
      if (opts.meter !== false) readings.push({ deviceId: 'M-REV', kind: 'meter', atMs, status: 'online', metrics: { power_w: h.meterW() } });
      live.apply({ agentId: hub.agentId, siteId: site.site.id, seq: seq++, sentAtMs: atMs, readings });
    },
    restart: async () => {
      // As a kill -9: no stop(), nothing flushed; the old engine's timers and queue go so it cannot act again.
      // Its store writes already under way finish first: a killed process's writes landed or never
      // began, and none lands after the new engine has read the store.
      await h.engine.settled();
      const old = h.engine as unknown as { supervisor: NodeJS.Timeout | null; publishTimer: NodeJS.Timeout | null };
      if (old.supervisor) clearInterval(old.supervisor);
      if (old.publishTimer) clearTimeout(old.publishTimer);
      await queue.close();
      hub.removeAllListeners();
      live.removeAllListeners('change');
      h.engine = make();
      await h.engine.start();
    },
    close: async () => {
      await h.engine.stop();
      await queue.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await h.engine.start();
  return h;
}

/** Waits until the harness engine's event `eventId` is in one of `statuses`; a timeout names its status then. */
export function reachStatus(h: Harness, eventId: string, statuses: EventStatus[], timeoutMs = 10_000): Promise<EventRecord> {
  return until(`${eventId} to reach ${statuses.join('/')}`, () => {
    const r = h.engine.get(eventId);
    return r && statuses.includes(r.status) ? r : undefined;
  }, timeoutMs, 20).catch((err: Error) => {
    throw new Error(`${err.message} (it is ${h.engine.status(eventId)})`);
  });
}
