import { setMaxListeners } from 'node:events';
import { asicCatalog } from '../../services/domain/catalog.ts';
import type { GpuHostDevice, MinerDevice } from '../../services/domain/devices.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import { errorMessage } from '../../services/lib/errors.ts';
import { minerFor } from '../drivers/cgminer/makes/index.ts';
import { PowerTargetRangeError, UnsupportedCapabilityError, type IoOptions, type Miner, type MinerMake } from '../drivers/cgminer/miner.ts';
import type { CpuAccount } from '../drivers/cgminer/cpu-account.ts';
import { setPowerLimit } from '../drivers/nvidia-smi/power-limit.ts';
import { runNvidiaSmi } from '../drivers/nvidia-smi/gather.ts';
import type { DeviceAck } from '../../services/agent-contract/protocol.ts';

/**
 * Runs device commands: every device in parallel (bounded), each try under its own deadline,
 * a failed try retried after a short pause unless retrying cannot help (the firmware lacks
 * the capability, or the target is out of the model's range). One ack per command, always:
 * a device that never answers is a failed ack at its deadline, never a missing one.
 */

export interface ExecutorOptions {
  miners: readonly MinerDevice[];
  gpuHosts?: readonly GpuHostDevice[];
  /** Antminer stock firmware sleeps through its web UI (port 80 on real miners). */
  minerWebPort?: number;
  minerWebUser?: string;
  minerWebPassword?: string;
  /** Whatsminer API password. */
  whatsminerPassword?: string;
  concurrency?: number;
  retryPauseMs?: number;
  now?: () => number;
}

export interface RunOptions {
  deviceTimeoutMs: number;
  attempts: number;
  /** Called as acks arrive (for progress); the full list is also returned. */
  onAck?: (ack: DeviceAck) => void;
}

/** Per dialect: command tries made and the client CPU they took (cpu-account.ts). */
export type CommandCpu = Partial<Record<MinerMake, { tries: number; cpuUs: number }>>;

export interface PrepareResult {
  prepared: number;
  failed: number;
  /** A few of the failures, for the log. */
  errors: string[];
}

export class CommandExecutor {
  private readonly cpu: CommandCpu = {};
  private readonly miners = new Map<string, { device: MinerDevice; miner: Miner }>();
  private readonly gpuHosts: Map<string, GpuHostDevice>;
  private readonly now: () => number;
  /**
   * The tail of each device's commands: a device runs one command at a time, in the order
   * they came. Two batches that overlap (a shed still retrying when its restore arrives, a
   * resent batch after a control-plane restart) would otherwise race on one miner, and the
   * last to land — not the last sent — would decide its state.
   */
  private readonly tails = new Map<string, Promise<unknown>>();
  /**
   * Device exchanges in flight across every run. Restore waves arrive as separate batches a
   * few hundred ms apart; with the bound per run, ten overlapping waves of a 50k-miner restore
   * had ten times the exchanges in flight, the miners' deadlines ran out in the queue, and
   * 1,334–2,737 wakes per restore failed. One bound for the executor keeps the load what was
   * measured best, whatever the number of batches.
   */
  private inFlight = 0;
  private readonly slotQueue: Array<() => void> = [];

  constructor(private readonly o: ExecutorOptions) {
    const catalog = asicCatalog();
    for (const d of o.miners) {
      const model = catalog.get(d.model);
      const creds = d.firmware === 'antminer' ? { username: o.minerWebUser ?? 'root', password: o.minerWebPassword ?? 'root' } : d.firmware === 'whatsminer' ? { password: o.whatsminerPassword ?? 'admin' } : {};
      const miner = minerFor(d.firmware, { host: d.host, port: d.port, ...(o.minerWebPort !== undefined ? { webPort: o.minerWebPort } : {}), ...(model ? { model } : {}), ...creds });
      this.miners.set(d.id, { device: d, miner });
    }
    this.gpuHosts = new Map((o.gpuHosts ?? []).map((h) => [h.id, h]));
    this.now = o.now ?? Date.now;
  }

  async run(commands: readonly DeviceCommand[], opts: RunOptions): Promise<DeviceAck[]> {
    const acks = new Array<DeviceAck>(commands.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < commands.length; i = next++) {
        const ack = await this.serial(commands[i]!, opts);
        acks[i] = ack;
        opts.onAck?.(ack);
      }
    };
    const n = Math.min(this.limit(), commands.length);
    await Promise.all(Array.from({ length: n }, worker));
    return acks;
  }

  /**
   * Gets the miners behind these device ids ready for commands (Whatsminer tokens, Antminer
   * digest nonces; see Miner.prepare), bounded like a run. A miner that fails is only counted:
   * its command will take the full path when it comes.
   */
  async prepare(deviceIds: readonly string[], timeoutMs: number): Promise<PrepareResult> {
    const todo = deviceIds.flatMap((id) => {
      const m = this.miners.get(id);
      return m && (m.device.firmware === 'whatsminer' || m.device.firmware === 'antminer') ? [m] : [];
    });
    const out: PrepareResult = { prepared: 0, failed: 0, errors: [] };
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < todo.length; i = next++) {
        const m = todo[i]!;
        try {
          await m.miner.prepare({ timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
          out.prepared++;
        } catch (err) {
          out.failed++;
          if (out.errors.length < 5) out.errors.push(`${m.device.id}: ${errorMessage(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 256, todo.length) }, worker));
    return out;
  }

  /** Client CPU per dialect since the start (a copy). */
  cpuByDialect(): CommandCpu {
    return Object.fromEntries(Object.entries(this.cpu).map(([k, v]) => [k, { ...v }])) as CommandCpu;
  }

  /** 256 measured best on the twin: beyond it, tries time out under load and retries add load. */
  private limit(): number {
    return this.o.concurrency ?? 256;
  }

  private async slot(): Promise<void> {
    if (this.inFlight < this.limit()) {
      this.inFlight++;
      return;
    }
    // The releasing command hands its slot over: inFlight stays as it is.
    await new Promise<void>((resolve) => this.slotQueue.push(resolve));
  }

  private release(): void {
    const next = this.slotQueue.shift();
    if (next) next();
    else this.inFlight--;
  }

  private serial(c: DeviceCommand, opts: RunOptions): Promise<DeviceAck> {
    const prev = this.tails.get(c.deviceId) ?? Promise.resolve();
    // runOne never rejects (a failure is a failed ack), so the chain never breaks. The slot
    // is taken once the device's previous command is done, never while waiting for it.
    const mine = prev.then(async () => {
      await this.slot();
      try {
        return await this.runOne(c, opts);
      } finally {
        this.release();
      }
    });
    this.tails.set(c.deviceId, mine);
    void mine.then(() => {
      if (this.tails.get(c.deviceId) === mine) this.tails.delete(c.deviceId);
    });
    return mine;
  }

  private async runOne(c: DeviceCommand, opts: RunOptions): Promise<DeviceAck> {
    let lastError = '';
    for (let tries = 1; tries <= opts.attempts; tries++) {
      try {
        await this.apply(c, opts.deviceTimeoutMs);
        return { deviceId: c.deviceId, ok: true, atMs: this.now(), tries };
      } catch (err) {
        lastError = `${c.action}${c.targetW !== undefined ? ` ${c.targetW} W` : ''} on ${c.deviceId}: ${errorMessage(err)}`.slice(0, 2000);
        if (err instanceof UnsupportedCapabilityError || err instanceof PowerTargetRangeError || err instanceof UnknownDeviceError) return { deviceId: c.deviceId, ok: false, atMs: this.now(), tries, error: lastError };
        if (tries < opts.attempts) await new Promise((r) => setTimeout(r, this.o.retryPauseMs ?? 100));
      }
    }
    return { deviceId: c.deviceId, ok: false, atMs: this.now(), tries: opts.attempts, error: lastError };
  }

  private async apply(c: DeviceCommand, timeoutMs: number): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    // One command may make several requests (token, then the command) on this signal.
    setMaxListeners(0, signal);
    if (c.action === 'gpu-power-cap') return this.capGpuHost(c, timeoutMs);
    const m = this.miners.get(c.deviceId);
    if (!m) throw new UnknownDeviceError(`no miner "${c.deviceId}" in this agent's configuration`);
    const account: CpuAccount = { us: 0 };
    const io: IoOptions = { timeoutMs, signal, cpu: account };
    try {
      if (c.action === 'sleep') return await m.miner.sleep(io);
      if (c.action === 'wake') return await m.miner.wake(io);
      if (c.targetW === undefined) throw new PowerTargetRangeError(`set-power-target on ${c.deviceId} without targetW`);
      return await m.miner.setPowerTarget(c.targetW, io);
    } finally {
      const t = (this.cpu[m.miner.make] ??= { tries: 0, cpuUs: 0 });
      t.tries++;
      t.cpuUs += account.us;
    }
  }

  /** A host cap is split evenly over its GPUs, each set with read-back (nvidia-smi -pl). */
  private async capGpuHost(c: DeviceCommand, timeoutMs: number): Promise<void> {
    const host = this.gpuHosts.get(c.deviceId);
    if (!host) throw new UnknownDeviceError(`no GPU host "${c.deviceId}" in this agent's configuration`);
    if (c.targetW === undefined) throw new PowerTargetRangeError(`gpu-power-cap on ${c.deviceId} without targetW`);
    const opts = { path: host.nvidiaSmiPath, timeoutMs };
    const indices = (await runNvidiaSmi(['--query-gpu=index', '--format=csv,noheader'], opts)).split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l)).map(Number);
    if (indices.length === 0) throw new Error(`nvidia-smi at ${host.nvidiaSmiPath} lists no GPUs`);
    const each = c.targetW / indices.length;
    for (const i of indices) await setPowerLimit(i, Math.floor(each), opts);
  }
}

export class UnknownDeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownDeviceError';
  }
}
