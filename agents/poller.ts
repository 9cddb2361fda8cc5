import { setMaxListeners } from 'node:events';
import type { Reading } from '../services/agent-contract/batch-schema.ts';
import type { MinerDevice } from '../services/domain/devices.ts';
import type { Logger } from '../services/lib/log.ts';
import { DeviceStates } from './device-states.ts';
import { Interned } from './interned.ts';
import type { DeviceDriver, PollTarget } from './device-driver.ts';
import { cgminerDriver } from './drivers/cgminer/driver.ts';
import { cgminerInventoryDriver } from './drivers/cgminer/inventory.ts';
import { pollTier } from './poll-tier.ts';
import { Slots } from './pool.ts';
import { Repeater } from './repeater.ts';
import { StaleTracker } from './stale.ts';

/**
 * Polls the site in tiers:
 * - miners: telemetry through each firmware's dialect, every minerIntervalMs (command
 *   batches preempt it, so it is the poller's own);
 * - slow: miner inventory (`version`: make, hardware, firmware) every
 *   minerInventoryIntervalMs (5 min), first run after the first miner cycle;
 * - one tier per other driver in agents/drivers/registry.ts (Modbus meters, SNMP,
 *   nvidia-smi …), each a DeviceDriver (device-driver.ts) with its own interval and deadline.
 * Every device is read under its own deadline with bounded concurrency (poll-tier.ts), so
 * one hung device never delays the others, and every poll yields a Reading for the sink,
 * online or not. Going offline and coming back are logged once each (DeviceStates); a
 * device without an online reading for staleAfterMs is stale (logged once each way).
 */
export interface DriverTier<T extends PollTarget = PollTarget, R extends Reading | Reading[] = Reading | Reading[]> {
  name: string;
  driver: DeviceDriver<T, R>;
  targets: T[];
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  /** Called once the tier's loop has stopped (work the driver keeps in the background). */
  close?: () => Promise<void>;
}

export interface PollerConfig {
  miners: MinerDevice[];
  minerIntervalMs: number;
  /** Connect + reply deadline per miner. */
  minerTimeoutMs: number;
  /** Miner connections in flight at once. */
  minerConcurrency: number;
  /**
   * Miner connections in flight at once while a command batch runs (default half of
   * minerConcurrency, at least 1): polling goes on at a reduced rate, so nothing goes stale
   * during a long shed, and the batch gets the sockets and CPU the rest leaves. Raised when
   * the last full-rate cycle says the reduced one would outlast the stale threshold
   * (reducedConcurrency below).
   */
  minerConcurrencyWhileCommanding?: number;
  /** Slow tier: miner inventory (version). 0 turns it off; default 300 000. */
  minerInventoryIntervalMs?: number;
  /** A device with no online reading for this long is stale. Default 3 × its interval. */
  staleAfterMs?: number;
  /** Tiers of the other drivers (Modbus meters, SNMP PDUs, nvidia-smi hosts …). */
  // `any`: each tier's target type is checked where the tier is built; here they only travel.
  tiers?: Array<DriverTier<any, any>>;
}

export interface CycleResult {
  readings: number;
  online: number;
  offline: number;
  error: number;
  wallMs: number;
  /** CPU time of this whole process during the cycle (user + system). */
  cpuMs: number;
}

export interface TierStats {
  cycles: number;
  lastCycle: CycleResult | undefined;
  overruns: number;
}

export interface PollerStats {
  minerCycles: number;
  lastMinerCycle: CycleResult | undefined;
  minerOverruns: number;
  /** Each driver tier by name ('meter polling', 'snmp polling' …). */
  tiers: Record<string, TierStats>;
  devices: Record<Reading['status'], number>;
  /** Devices with no online reading for longer than staleAfterMs. */
  stale: number;
  inventoryCycles: number;
  /** Miner reads allowed in flight now (lower while a command batch runs). */
  minerConcurrencyNow: number;
}

export class Poller {
  private readonly states: DeviceStates;
  private readonly minerLoop: Repeater;
  private minerCycles = 0;
  private lastMinerCycle: CycleResult | undefined;
  private readonly inventoryLoop: Repeater | undefined;
  private inventoryCycles = 0;
  /** Each miner's inventory labels, shared between the miners that have the same (Interned). */
  private readonly inventory = new Map<string, Readonly<Record<string, string>>>();
  private readonly inventoryTexts = new Interned();
  private readonly extraLoops: Repeater[] = [];
  private readonly tierStats = new Map<string, { cycles: number; lastCycle: CycleResult | undefined; loop: Repeater }>();
  private readonly tierDeviceIds = new Map<string, Set<string>>();
  private readonly stale: StaleTracker;
  private readonly stopping = new AbortController();
  private minerHolds = 0;
  private readonly minerSlots: Slots;
  /** Wall time of the last miner cycle run wholly at the full rate (sizes the reduced rate). */
  private lastFullCycleMs: number | undefined;
  private holdsStarted = 0;
  private readonly minerDriver = cgminerDriver();

  constructor(
    private readonly config: PollerConfig,
    private readonly sink: (reading: Reading) => void,
    private readonly log: Logger,
  ) {
    this.states = new DeviceStates(log);
    this.stale = new StaleTracker(log);
    this.minerSlots = new Slots(Math.max(1, config.minerConcurrency));
    // Every read in flight listens to it (up to the concurrency of each tier).
    setMaxListeners(0, this.stopping.signal);
    this.minerLoop = new Repeater('miner polling', config.minerIntervalMs, () => this.pollMinersOnce(), log);
    const inventoryMs = config.minerInventoryIntervalMs ?? 300_000;
    if (inventoryMs > 0) this.inventoryLoop = new Repeater('miner inventory', inventoryMs, () => this.pollInventoryOnce(), log);
    for (const tier of config.tiers ?? []) {
      const loop = new Repeater(tier.name, tier.intervalMs, () => this.pollTierOnce(tier), log);
      this.extraLoops.push(loop);
      this.tierStats.set(tier.name, { cycles: 0, lastCycle: undefined, loop });
    }
  }

  start(): void {
    // Driver tiers first: the meters among them prove curtailment, so seconds matter.
    for (const loop of this.extraLoops) loop.start();
    if (this.config.miners.length > 0) this.minerLoop.start();
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error('poller stopping'));
    await Promise.all([this.minerLoop.stop(), this.inventoryLoop?.stop(), ...this.extraLoops.map((l) => l.stop())]);
    await Promise.all((this.config.tiers ?? []).map((t) => t.close?.()));
  }

  /**
   * Commands come first, but polling goes on: while a command batch runs, miner reads are
   * limited to minerConcurrencyWhileCommanding in flight (reads already in flight finish), so
   * the batch has most sockets and the CPU and no miner goes stale during a long shed.
   * Call the returned function when the batch is done.
   */
  preemptMinerPolling(): () => void {
    this.minerHolds++;
    this.holdsStarted++;
    if (this.minerHolds === 1) {
      this.minerSlots.setLimit(this.reducedMinerConcurrency());
      this.log.info({ concurrency: this.minerSlots.limit }, 'command batch running: miner polling at a reduced rate');
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.minerHolds--;
      if (this.minerHolds === 0) {
        this.minerSlots.setLimit(Math.max(1, this.config.minerConcurrency));
        this.log.info({ concurrency: this.minerSlots.limit }, 'command batches done: miner polling at the full rate');
      }
    };
  }

  private reducedMinerConcurrency(): number {
    const staleAfterMs = this.config.staleAfterMs ?? 3 * this.config.minerIntervalMs;
    return reducedConcurrency({
      full: this.config.minerConcurrency,
      ...(this.config.minerConcurrencyWhileCommanding === undefined ? {} : { asked: this.config.minerConcurrencyWhileCommanding }),
      lastFullCycleMs: this.lastFullCycleMs,
      budgetMs: staleAfterMs - this.config.minerIntervalMs,
    });
  }

  async pollMinersOnce(): Promise<CycleResult> {
    const holdsAtStart = this.holdsStarted;
    const fullRate = this.minerHolds === 0;
    const signal = this.stopping.signal;
    const opts = { timeoutMs: this.config.minerTimeoutMs, concurrency: this.config.minerConcurrency, signal, slots: this.minerSlots };
    const result = await this.cycle(async (emit) => {
      await pollTier(this.minerDriver, this.config.miners, opts, (reading) => {
        const inv = this.inventory.get(reading.deviceId);
        emit(inv === undefined || reading.status !== 'online' ? reading : { ...reading, labels: { ...inv, ...reading.labels } });
      });
    });
    this.stale.check(this.config.miners, this.config.staleAfterMs ?? 3 * this.config.minerIntervalMs, Date.now());
    // The slow tier starts once the first miner cycle is done, so the two never compete at start-up.
    if (this.minerCycles === 0 && !this.stopping.signal.aborted) this.inventoryLoop?.start();
    this.minerCycles++;
    this.lastMinerCycle = result;
    // A cycle that ran at the full rate throughout tells how long the fleet takes to read.
    if (fullRate && this.minerHolds === 0 && this.holdsStarted === holdsAtStart) this.lastFullCycleMs = result.wallMs;
    this.log.info(result, `miner poll: ${result.online}/${result.readings} online in ${result.wallMs} ms`);
    return result;
  }

  async pollInventoryOnce(): Promise<void> {
    const opts = { timeoutMs: this.config.minerTimeoutMs, concurrency: this.config.minerConcurrency, signal: this.stopping.signal };
    await pollTier(cgminerInventoryDriver(), this.config.miners, opts, (reading) => {
      if (reading.status === 'online' && reading.labels !== undefined) this.inventory.set(reading.deviceId, this.inventoryTexts.labels(reading.labels));
    });
    this.inventoryCycles++;
  }

  async pollTierOnce<T extends PollTarget, R extends Reading | Reading[]>(tier: DriverTier<T, R>): Promise<CycleResult> {
    // A target may yield readings of other ids (a GPU host's GPUs); those are checked for staleness too.
    let seen = this.tierDeviceIds.get(tier.name);
    if (seen === undefined) this.tierDeviceIds.set(tier.name, (seen = new Set()));
    const ids = seen;
    const opts = { timeoutMs: tier.timeoutMs, concurrency: tier.concurrency, signal: this.stopping.signal };
    const result = await this.cycle((emit) =>
      pollTier(tier.driver, tier.targets, opts, (reading) => {
        ids.add(reading.deviceId);
        emit(reading);
      }),
    );
    const targetIds = new Set(tier.targets.map((t) => t.id));
    this.stale.check([...tier.targets, ...[...ids].filter((id) => !targetIds.has(id)).map((id) => ({ id }))], this.config.staleAfterMs ?? 3 * tier.intervalMs, Date.now());
    const stats = this.tierStats.get(tier.name);
    if (stats) {
      stats.cycles++;
      stats.lastCycle = result;
    }
    return result;
  }

  stats(): PollerStats {
    return {
      minerCycles: this.minerCycles,
      lastMinerCycle: this.lastMinerCycle,
      minerOverruns: this.minerLoop.overruns,
      tiers: Object.fromEntries([...this.tierStats].map(([name, t]) => [name, { cycles: t.cycles, lastCycle: t.lastCycle, overruns: t.loop.overruns }])),
      devices: this.states.counts(),
      stale: this.stale.count(),
      inventoryCycles: this.inventoryCycles,
      minerConcurrencyNow: this.minerSlots.limit,
    };
  }

  private async cycle(run: (emit: (r: Reading) => void) => Promise<void>): Promise<CycleResult> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const counts = { readings: 0, online: 0, offline: 0, error: 0 };
    await run((reading) => {
      // A read cut short because the agent is stopping says nothing about the device.
      if (this.stopping.signal.aborted) return;
      counts.readings++;
      counts[reading.status]++;
      this.states.record(reading);
      this.stale.record(reading);
      this.sink(reading);
    });
    this.states.flush();
    const cpu = process.cpuUsage(cpu0);
    return { ...counts, wallMs: Math.round(performance.now() - t0), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
  }
}

/**
 * Miner reads in flight while commands run: `asked` (default half of `full`), but never so few
 * that a cycle would outlast `budgetMs` (the stale threshold less one interval) judging by the
 * last full-rate cycle: cycle time grows as the concurrency shrinks, and a miner read just
 * before a long batch must be read again before it goes stale. Pure; at least 1, at most full.
 */
export function reducedConcurrency(o: { full: number; asked?: number; lastFullCycleMs: number | undefined; budgetMs: number }): number {
  const full = Math.max(1, o.full);
  let limit = o.asked ?? Math.floor(full / 2);
  if (o.lastFullCycleMs !== undefined && o.budgetMs > 0) limit = Math.max(limit, Math.ceil((full * o.lastFullCycleMs) / o.budgetMs));
  else if (o.lastFullCycleMs !== undefined) limit = full;
  return Math.min(full, Math.max(1, limit));
}
