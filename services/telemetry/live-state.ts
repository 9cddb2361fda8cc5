import { EventEmitter } from 'node:events';
import type { AgentBatch, DeviceKind, Reading } from '../agent-contract/batch-schema.ts';
import type { BlockState, SiteFile } from '../domain/site-schema.ts';
import { gpuHistoryPoints, tenantOfBlocks } from './gpu-points.ts';
import type { TelemetryPoint } from './history.ts';

/**
 * The live site, in memory: the latest reading of every device and what follows from it
 * (per-block power, hashrate and device counts; site totals). Fed by validated agent batches.
 *
 * Offline is a state, never a zero: a block with no fresh data has power null, not 0. A device
 * whose last reading is older than `staleAfterMs` is stale: counted as such and left out of
 * the sums, since nobody knows what it draws now.
 */

export const BLOCK_STATES: readonly BlockState[] = ['mining', 'ai', 'curtailed', 'converting'];

export interface LiveStateOptions {
  /** A device is stale once its last reading is older than this (default 90 s). */
  staleAfterMs?: number;
  /** Per device kind, e.g. meters polled every 2 s go stale long before miners polled every 30 s. */
  staleAfterMsByKind?: Partial<Record<DeviceKind, number>>;
  /**
   * Each miner is written to the history at most this often; 0 (the default) writes no miner
   * points. ~35k miners × 3 fields is ~100k series: fine for InfluxDB, not for the embedded
   * SQLite history, which keeps block, site and meter series.
   */
  minerHistoryEveryMs?: number;
  now?: () => number;
}

export interface DeviceCounts {
  online: number;
  sleeping: number;
  offline: number;
  stale: number;
  /** Expected from the site file and never heard from. */
  unseen: number;
}

export interface BlockLive {
  id: string;
  name: string;
  state: BlockState;
  capacityMw: number;
  contractId: string | null;
  /** Live power: the block meter when fresh, else the sum of fresh miners and GPUs; null: no data. */
  powerW: number | null;
  powerSource: 'meter' | 'devices' | null;
  /** Sum over fresh online miners; null when miners are expected and none is fresh. */
  hashrateHs: number | null;
  miners: DeviceCounts;
  /** Every device kind reporting in this block (miners, GPUs, meters, ...). */
  devices: DeviceCounts;
  lastReadingAtMs: number | null;
}

export interface SiteLive {
  siteId: string;
  siteName: string;
  importLimitMw: number;
  /** The revenue meter when fresh, else the sum of block powers; null: no data at all. */
  powerW: number | null;
  powerSource: 'meter' | 'blocks' | null;
  hashrateHs: number | null;
  powerByStateW: Record<BlockState, number | null>;
  miners: DeviceCounts;
  devices: DeviceCounts;
  blocks: BlockLive[];
  lastReadingAtMs: number | null;
  /** Bumped by every applied batch. */
  version: number;
}

export interface AgentSeen {
  agentId: string;
  lastSeenMs: number;
  lastSeq: number;
  batches: number;
  duplicates: number;
  readings: number;
}

export interface ApplyResult {
  accepted: number;
  /** Points for the history: block, site and site_state rollups, meters, sampled miners. */
  points: TelemetryPoint[];
  blockIds: string[];
}

interface DeviceEntry {
  reading: Reading;
  blockId: string | null;
  receivedAtMs: number;
  /** The agent that reads this device: where commands for it go. */
  agentId: string;
}

interface MeterInfo {
  role: 'revenue' | 'block';
  blockId: string | null;
}

const SUMMED_KINDS: ReadonlySet<DeviceKind> = new Set(['miner', 'gpu']);

/**
 * Meter fields kept in the history: what settlement and curtailment proof need. A PM5340 image
 * has ~50 fields (per-phase everything); keeping all of them for every meter every 2 s would
 * be most of the history's volume for little use.
 */
const METER_HISTORY_FIELDS: ReadonlySet<string> = new Set([
  'power_w',
  'energy_wh',
  'reactive_power_var',
  'apparent_power_va',
  'power_factor',
  'frequency_hz',
  'voltage_ll_avg_v',
  'current_avg_a',
]);

function emptyCounts(): DeviceCounts {
  return { online: 0, sleeping: 0, offline: 0, stale: 0, unseen: 0 };
}

function addCounts(into: DeviceCounts, c: DeviceCounts): void {
  into.online += c.online;
  into.sleeping += c.sleeping;
  into.offline += c.offline;
  into.stale += c.stale;
  into.unseen += c.unseen;
}

function finite(v: number | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export class LiveState extends EventEmitter<{ change: [blockIds: string[]] }> {
  readonly site: SiteFile;
  private readonly staleAfterMs: number;
  private readonly staleAfterMsByKind: Partial<Record<DeviceKind, number>>;
  private readonly minerHistoryEveryMs: number;
  private readonly now: () => number;
  private stateNowOf: ((blockId: string) => BlockState | undefined) | null = null;
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly byBlock = new Map<string, Set<string>>();
  private readonly meters = new Map<string, MeterInfo>();
  private readonly expectedMiners = new Map<string, number>();
  private readonly minerWrittenAt = new Map<string, number>();
  private readonly agentsSeen = new Map<string, AgentSeen>();
  private versionNo = 0;
  private cached: { key: string; snapshot: SiteLive } | null = null;
  /**
   * Each block's live figures for the second they were computed in, dropped when a batch
   * touches the block: an agent's batch covers a few blocks, so the snapshot every batch and
   * every /api/site needs recomputes those, not all ~35k devices.
   */
  private readonly blockCache = new Map<string, { second: number; live: BlockLive }>();
  private readonly tenantOfBlock: Map<string, string>;

  constructor(site: SiteFile, opts: LiveStateOptions = {}) {
    super();
    this.site = site;
    this.staleAfterMs = opts.staleAfterMs ?? 90_000;
    this.staleAfterMsByKind = opts.staleAfterMsByKind ?? {};
    this.minerHistoryEveryMs = opts.minerHistoryEveryMs ?? 0;
    this.now = opts.now ?? Date.now;
    for (const b of site.blocks) {
      this.byBlock.set(b.id, new Set());
      this.expectedMiners.set(b.id, b.miners.reduce((n, g) => n + g.count, 0));
    }
    for (const m of site.meters) this.meters.set(m.id, { role: m.role, blockId: m.blockId ?? null });
    this.tenantOfBlock = tenantOfBlocks(site);
  }

  get version(): number {
    return this.versionNo;
  }

  hasAgent(agentId: string): boolean {
    return this.agentsSeen.has(agentId);
  }

  agents(): AgentSeen[] {
    return [...this.agentsSeen.values()].map((a) => ({ ...a }));
  }

  /** Counts a batch that was already applied (its seq was seen before). */
  noteDuplicate(batch: AgentBatch): void {
    this.agent(batch.agentId).duplicates++;
  }

  /**
   * What a block does now when it differs from its site-file state (a block whose miners a
   * curtailment event holds off is `curtailed`): the per-state power sums, and so the
   * site_state history the operator chart draws, follow it. Set by the API's site view.
   */
  setStateNow(stateNowOf: (blockId: string) => BlockState | undefined): void {
    this.stateNowOf = stateNowOf;
    this.cached = null;
  }

  /** The latest reading of a device, as the agent sent it. */
  reading(deviceId: string): Reading | undefined {
    return this.devices.get(deviceId)?.reading;
  }

  /** The latest reading of every device seen in a block. */
  readingsInBlock(blockId: string): Reading[] {
    const out: Reading[] = [];
    for (const id of this.byBlock.get(blockId) ?? []) {
      const e = this.devices.get(id);
      if (e) out.push(e.reading);
    }
    return out;
  }

  /** The agent whose batches carry this device (undefined until one has). */
  agentOf(deviceId: string): string | undefined {
    return this.devices.get(deviceId)?.agentId;
  }

  /** Applies a validated batch (the caller has checked the site id and the seq ledger). */
  apply(batch: AgentBatch): ApplyResult {
    const receivedAtMs = this.now();
    const touched = new Set<string>();
    const points: TelemetryPoint[] = [];
    let accepted = 0;
    let newestAtMs = 0;
    for (const r of batch.readings) {
      const prev = this.devices.get(r.deviceId);
      // Store-and-forward may replay older readings after newer ones; the latest wins.
      if (prev && prev.reading.atMs > r.atMs) continue;
      const blockId = this.blockOf(r);
      if (prev && prev.blockId !== blockId && prev.blockId) {
        this.byBlock.get(prev.blockId)?.delete(r.deviceId);
        this.blockCache.delete(prev.blockId);
      }
      this.devices.set(r.deviceId, { reading: r, blockId, receivedAtMs, agentId: batch.agentId });
      if (blockId) {
        this.byBlock.get(blockId)?.add(r.deviceId);
        this.blockCache.delete(blockId);
        touched.add(blockId);
      }
      accepted++;
      newestAtMs = Math.max(newestAtMs, r.atMs);
      points.push(...this.devicePoints(r, blockId));
    }
    const a = this.agent(batch.agentId);
    a.lastSeenMs = receivedAtMs;
    a.lastSeq = batch.seq;
    a.batches++;
    a.readings += batch.readings.length;
    this.versionNo++;
    this.cached = null;
    if (accepted > 0) points.push(...this.rollupPoints(touched, newestAtMs || batch.sentAtMs));
    points.push(...gpuHistoryPoints(batch.readings, this.tenantOfBlock));
    const blockIds = [...touched];
    this.emit('change', blockIds);
    return { accepted, points, blockIds };
  }

  /** The live site now. Cached per version and second, so callers may ask often. */
  snapshot(): SiteLive {
    const now = this.now();
    const key = `${this.versionNo}:${Math.floor(now / 1000)}`;
    if (this.cached?.key === key) return this.cached.snapshot;
    const snapshot = this.compute(now);
    this.cached = { key, snapshot };
    return snapshot;
  }

  private agent(agentId: string): AgentSeen {
    let a = this.agentsSeen.get(agentId);
    if (!a) {
      a = { agentId, lastSeenMs: 0, lastSeq: -1, batches: 0, duplicates: 0, readings: 0 };
      this.agentsSeen.set(agentId, a);
    }
    return a;
  }

  private blockOf(r: Reading): string | null {
    const meter = this.meters.get(r.deviceId);
    const id = meter ? meter.blockId : (r.blockId ?? null);
    return id !== null && this.byBlock.has(id) ? id : null;
  }

  private isStale(e: DeviceEntry, now: number): boolean {
    return now - e.reading.atMs > (this.staleAfterMsByKind[e.reading.kind] ?? this.staleAfterMs);
  }

  private countInto(c: DeviceCounts, e: DeviceEntry, now: number): void {
    if (this.isStale(e, now)) c.stale++;
    else if (e.reading.status !== 'online') c.offline++;
    else if (e.reading.labels?.mode === 'sleeping') c.sleeping++;
    else c.online++;
  }

  private freshPowerW(deviceId: string, now: number): number | null {
    const e = this.devices.get(deviceId);
    if (!e || e.reading.status !== 'online' || this.isStale(e, now)) return null;
    const p = e.reading.metrics.power_w;
    return finite(p) ? p : null;
  }

  private computeBlock(b: SiteFile['blocks'][number], now: number): BlockLive {
    const miners = emptyCounts();
    const devices = emptyCounts();
    let sumW = 0;
    let summed = 0;
    let hashrate = 0;
    let freshMiners = 0;
    let meterW: number | null = null;
    let last: number | null = null;
    for (const id of this.byBlock.get(b.id) ?? []) {
      const e = this.devices.get(id)!;
      const r = e.reading;
      last = Math.max(last ?? 0, r.atMs);
      this.countInto(devices, e, now);
      const meter = this.meters.get(id);
      if (meter?.role === 'block') {
        meterW = this.freshPowerW(id, now) ?? meterW;
        continue;
      }
      if (r.kind === 'miner') this.countInto(miners, e, now);
      if (r.status !== 'online' || this.isStale(e, now)) continue;
      if (SUMMED_KINDS.has(r.kind) && finite(r.metrics.power_w)) {
        sumW += r.metrics.power_w;
        summed++;
      }
      if (r.kind === 'miner') {
        freshMiners++;
        if (finite(r.metrics.hashrate_hs)) hashrate += r.metrics.hashrate_hs;
      }
    }
    const expected = this.expectedMiners.get(b.id) ?? 0;
    const seenMiners = miners.online + miners.sleeping + miners.offline + miners.stale;
    miners.unseen = Math.max(0, expected - seenMiners);
    devices.unseen += miners.unseen;
    const powerSource = meterW !== null ? 'meter' : summed > 0 ? 'devices' : null;
    return {
      id: b.id,
      name: b.name,
      state: b.state,
      capacityMw: b.capacityMw,
      contractId: b.contractId ?? null,
      powerW: meterW ?? (summed > 0 ? sumW : null),
      powerSource,
      hashrateHs: freshMiners > 0 ? hashrate : expected > 0 || seenMiners > 0 ? null : 0,
      miners,
      devices,
      lastReadingAtMs: last,
    };
  }

  private compute(now: number): SiteLive {
    const second = Math.floor(now / 1000);
    const blocks = this.site.blocks.map((b) => {
      const cached = this.blockCache.get(b.id);
      if (cached?.second === second) return cached.live;
      const live = this.computeBlock(b, now);
      this.blockCache.set(b.id, { second, live });
      return live;
    });
    const miners = emptyCounts();
    const devices = emptyCounts();
    const powerByStateW = Object.fromEntries(BLOCK_STATES.map((s) => [s, null])) as Record<BlockState, number | null>;
    let blocksW: number | null = null;
    let hashrate: number | null = null;
    let last: number | null = null;
    for (const b of blocks) {
      addCounts(miners, b.miners);
      addCounts(devices, b.devices);
      if (b.powerW !== null) {
        blocksW = (blocksW ?? 0) + b.powerW;
        const state = this.stateNowOf?.(b.id) ?? b.state;
        powerByStateW[state] = (powerByStateW[state] ?? 0) + b.powerW;
      }
      if (b.hashrateHs !== null) hashrate = (hashrate ?? 0) + b.hashrateHs;
      if (b.lastReadingAtMs !== null) last = Math.max(last ?? 0, b.lastReadingAtMs);
    }
    let revenueW: number | null = null;
    for (const [id, m] of this.meters) {
      if (m.role !== 'revenue') continue;
      const w = this.freshPowerW(id, now);
      if (w !== null) revenueW = (revenueW ?? 0) + w;
      const e = this.devices.get(id);
      if (e) {
        this.countInto(devices, e, now);
        last = Math.max(last ?? 0, e.reading.atMs);
      }
    }
    return {
      siteId: this.site.site.id,
      siteName: this.site.site.name,
      importLimitMw: this.site.site.importLimitMw,
      powerW: revenueW ?? blocksW,
      powerSource: revenueW !== null ? 'meter' : blocksW !== null ? 'blocks' : null,
      hashrateHs: hashrate,
      powerByStateW,
      miners,
      devices,
      blocks,
      lastReadingAtMs: last,
      version: this.versionNo,
    };
  }

  /** Meters always (a handful of devices); miners sampled so ~35k of them stay cheap to keep. */
  private devicePoints(r: Reading, blockId: string | null): TelemetryPoint[] {
    if (r.status !== 'online') return [];
    const fields: Record<string, number> = {};
    if (r.kind === 'meter') {
      for (const [k, v] of Object.entries(r.metrics)) if (METER_HISTORY_FIELDS.has(k) && finite(v)) fields[k] = v;
      const role = this.meters.get(r.deviceId)?.role ?? 'unknown';
      const tags: Record<string, string> = { meter: r.deviceId, role };
      if (blockId) tags.block = blockId;
      return Object.keys(fields).length > 0 ? [{ measurement: 'meter', tags, fields, atMs: r.atMs }] : [];
    }
    if (r.kind !== 'miner' || this.minerHistoryEveryMs <= 0) return [];
    const lastAt = this.minerWrittenAt.get(r.deviceId) ?? -Infinity;
    if (r.atMs - lastAt < this.minerHistoryEveryMs) return [];
    for (const k of ['power_w', 'hashrate_hs', 'temp_c'] as const) {
      const v = r.metrics[k];
      if (finite(v)) fields[k] = v;
    }
    if (Object.keys(fields).length === 0) return [];
    this.minerWrittenAt.set(r.deviceId, r.atMs);
    return [{ measurement: 'miner', tags: { miner: r.deviceId, block: blockId ?? 'none' }, fields, atMs: r.atMs }];
  }

  private rollupPoints(touched: Set<string>, atMs: number): TelemetryPoint[] {
    const live = this.snapshot();
    const points: TelemetryPoint[] = [];
    for (const b of live.blocks) {
      if (!touched.has(b.id)) continue;
      const fields: Record<string, number> = {
        miners_online: b.miners.online,
        miners_offline: b.miners.offline,
        miners_sleeping: b.miners.sleeping,
        miners_stale: b.miners.stale,
      };
      if (b.powerW !== null) fields.power_w = b.powerW;
      if (b.hashrateHs !== null) fields.hashrate_hs = b.hashrateHs;
      points.push({ measurement: 'block', tags: { block: b.id, state: b.state }, fields, atMs });
    }
    const siteFields: Record<string, number> = {};
    if (live.powerW !== null) siteFields.power_w = live.powerW;
    if (live.hashrateHs !== null) siteFields.hashrate_hs = live.hashrateHs;
    if (Object.keys(siteFields).length > 0) {
      points.push({ measurement: 'site', tags: { site: live.siteId }, fields: siteFields, atMs });
    }
    for (const state of BLOCK_STATES) {
      const w = live.powerByStateW[state];
      if (w !== null) points.push({ measurement: 'site_state', tags: { state }, fields: { power_w: w }, atMs });
    }
    return points;
  }
}
