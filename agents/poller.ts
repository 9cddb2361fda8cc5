import type { Reading } from '../services/domain/batch-schema.ts';
import type { MeterDevice, MinerDevice } from '../services/domain/devices.ts';
import type { Logger } from '../services/lib/log.ts';
import { DeviceStates } from './device-states.ts';
import { loadProfile, type ModbusProfile } from './drivers/modbus/profile.ts';
import { ModbusConnection, planReads, type ReadBlock } from './drivers/modbus/read.ts';
import { readMeter } from './meter-reading.ts';
import { readMiner } from './miner-reading.ts';
import { forEachBounded } from './pool.ts';
import { Repeater } from './repeater.ts';

/**
 * Polls the site: meters on a fast interval (they prove curtailment, so seconds matter),
 * miners on a slower one with bounded concurrency and a deadline per miner. Every poll
 * yields a Reading for the sink, online or not.
 */
export interface PollerConfig {
  miners: MinerDevice[];
  meters: MeterDevice[];
  minerIntervalMs: number;
  meterIntervalMs: number;
  /** Connect + reply deadline per miner. */
  minerTimeoutMs: number;
  /** Deadline per Modbus request. */
  meterTimeoutMs: number;
  /** Miner connections in flight at once. */
  minerConcurrency: number;
  profileDir?: string;
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

export interface PollerStats {
  minerCycles: number;
  meterCycles: number;
  lastMinerCycle: CycleResult | undefined;
  lastMeterCycle: CycleResult | undefined;
  minerOverruns: number;
  meterOverruns: number;
  devices: Record<Reading['status'], number>;
}

interface MeterTarget {
  device: MeterDevice;
  profile: ModbusProfile;
  plan: ReadBlock[];
}

export class Poller {
  private readonly states: DeviceStates;
  private readonly meterGroups: Array<{ connection: ModbusConnection; meters: MeterTarget[] }> = [];
  private readonly minerLoop: Repeater;
  private readonly meterLoop: Repeater;
  private minerCycles = 0;
  private meterCycles = 0;
  private lastMinerCycle: CycleResult | undefined;
  private lastMeterCycle: CycleResult | undefined;

  constructor(
    private readonly config: PollerConfig,
    private readonly sink: (reading: Reading) => void,
    private readonly log: Logger,
  ) {
    this.states = new DeviceStates(log);
    // Profiles are loaded and checked here, before any connection: a typo in a profile name
    // stops the agent at start-up instead of leaving a meter silently unread.
    const profiles = new Map<string, { profile: ModbusProfile; plan: ReadBlock[] }>();
    const byEndpoint = new Map<string, MeterTarget[]>();
    for (const device of config.meters) {
      let entry = profiles.get(device.profile);
      if (entry === undefined) {
        const profile = loadProfile(device.profile, config.profileDir);
        entry = { profile, plan: planReads(profile) };
        profiles.set(device.profile, entry);
      }
      const key = `${device.host}:${device.port}`;
      let list = byEndpoint.get(key);
      if (list === undefined) byEndpoint.set(key, (list = []));
      list.push({ device, ...entry });
    }
    for (const meters of byEndpoint.values()) {
      const { host, port } = (meters[0] as MeterTarget).device;
      this.meterGroups.push({ connection: new ModbusConnection(host, port, config.meterTimeoutMs), meters });
    }
    this.minerLoop = new Repeater('miner polling', config.minerIntervalMs, () => this.pollMinersOnce(), log);
    this.meterLoop = new Repeater('meter polling', config.meterIntervalMs, () => this.pollMetersOnce(), log);
  }

  start(): void {
    if (this.config.meters.length > 0) this.meterLoop.start();
    if (this.config.miners.length > 0) this.minerLoop.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.minerLoop.stop(), this.meterLoop.stop()]);
    await Promise.all(this.meterGroups.map((g) => g.connection.close()));
  }

  async pollMinersOnce(): Promise<CycleResult> {
    const result = await this.cycle(async (emit) => {
      await forEachBounded(this.config.miners, this.config.minerConcurrency, async (device) => {
        emit(await readMiner(device, this.config.minerTimeoutMs));
      });
    });
    this.minerCycles++;
    this.lastMinerCycle = result;
    this.log.info(result, `miner poll: ${result.online}/${result.readings} online in ${result.wallMs} ms`);
    return result;
  }

  async pollMetersOnce(): Promise<CycleResult> {
    // Gateways in parallel; meters behind one gateway share its connection, one at a time.
    const result = await this.cycle(async (emit) => {
      await Promise.all(
        this.meterGroups.map(async ({ connection, meters }) => {
          for (const m of meters) emit(await readMeter(m.device, connection, m.profile, m.plan));
        }),
      );
    });
    this.meterCycles++;
    this.lastMeterCycle = result;
    return result;
  }

  stats(): PollerStats {
    return {
      minerCycles: this.minerCycles,
      meterCycles: this.meterCycles,
      lastMinerCycle: this.lastMinerCycle,
      lastMeterCycle: this.lastMeterCycle,
      minerOverruns: this.minerLoop.overruns,
      meterOverruns: this.meterLoop.overruns,
      devices: this.states.counts(),
    };
  }

  private async cycle(run: (emit: (r: Reading) => void) => Promise<void>): Promise<CycleResult> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const counts = { readings: 0, online: 0, offline: 0, error: 0 };
    await run((reading) => {
      counts.readings++;
      counts[reading.status]++;
      this.states.record(reading);
      this.sink(reading);
    });
    this.states.flush();
    const cpu = process.cpuUsage(cpu0);
    return { ...counts, wallMs: Math.round(performance.now() - t0), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
  }
}
