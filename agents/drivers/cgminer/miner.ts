import type { AsicModel } from '../../../services/domain/catalog.ts';
import { errorMessage } from '../../../services/lib/errors.ts';
import { cgminerCall, cgminerSend, CgminerTransportError } from './client.ts';
import type { MinerTelemetry } from './normalise.ts';
import { parseCgminerReply, type CgminerReply } from './parse.ts';
import { charged, type CpuAccount } from './cpu-account.ts';

/**
 * One capability interface for every miner make: telemetry, sleep, wake, power target.
 * What differs between makes (commands, auth, reply quirks) lives in a Dialect in makes/;
 * model facts (the allowed power range) come from the ASIC catalog. A capability the
 * firmware does not offer throws UnsupportedCapabilityError; a power target outside the
 * model's [minPowerW, maxPowerW] throws PowerTargetRangeError before any I/O.
 */
export const MINER_MAKES = ['antminer', 'whatsminer', 'braiins', 'luxos', 'avalon'] as const;
export type MinerMake = (typeof MINER_MAKES)[number];

export interface IoOptions {
  /** Deadline for the whole operation (a sleep may take several round trips). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Charged with the operation's client CPU (commands measure it per dialect). */
  cpu?: CpuAccount;
}

export interface MinerAddress {
  host: string;
  /** cgminer API port, 4028 on real miners. */
  port: number;
  /** Web UI port (Antminer stock sleep/wake), 80 on real miners. */
  webPort?: number;
  /** Web (Antminer, default root/root) or API (Whatsminer, default admin) credentials. */
  username?: string;
  password?: string;
  /** Needed for setPowerTarget: its range is a model fact. */
  model?: AsicModel;
}

export interface Miner {
  readonly make: MinerMake;
  telemetry(opts: IoOptions): Promise<MinerTelemetry>;
  sleep(opts: IoOptions): Promise<void>;
  wake(opts: IoOptions): Promise<void>;
  setPowerTarget(watts: number, opts: IoOptions): Promise<void>;
  /**
   * Gets ready for commands ahead of time (a Whatsminer token, an Antminer digest nonce), so
   * a command during an event makes only the exchanges that act. Nothing to do for firmware
   * without auth.
   */
  prepare(opts: IoOptions): Promise<void>;
}

export class UnsupportedCapabilityError extends Error {
  readonly make: MinerMake;
  readonly capability: string;
  constructor(make: MinerMake, capability: string, why: string) {
    super(`${make} miners do not support ${capability}: ${why}`);
    this.name = 'UnsupportedCapabilityError';
    this.make = make;
    this.capability = capability;
  }
}

export class PowerTargetRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'PowerTargetRangeError';
  }
}

/** The miner refused a command (wrong password, no token, no session …). */
export class MinerCommandError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MinerCommandError';
  }
}

/** Round trips of one operation, all under one deadline. */
export class MinerSession {
  readonly deadlineAt: number;
  constructor(
    readonly address: MinerAddress,
    readonly io: IoOptions,
  ) {
    this.deadlineAt = Date.now() + io.timeoutMs;
  }

  remainingMs(): number {
    const left = this.deadlineAt - Date.now();
    if (left <= 0) throw new CgminerTransportError('timeout', `operation ran past its ${this.io.timeoutMs} ms deadline`);
    return left;
  }

  private callOptions() {
    return { timeoutMs: this.remainingMs(), ...(this.io.signal === undefined ? {} : { signal: this.io.signal }), ...(this.io.cpu === undefined ? {} : { cpu: this.io.cpu }) };
  }

  async call(command: string, parameter?: string): Promise<CgminerReply> {
    const request = parameter === undefined ? { command } : { command, parameter };
    const raw = await cgminerCall(this.address.host, this.address.port, request, this.callOptions());
    return charged(this.io.cpu, () => parseCgminerReply(raw));
  }

  async send(payload: string): Promise<CgminerReply> {
    const raw = await cgminerSend(this.address.host, this.address.port, payload, this.callOptions());
    return charged(this.io.cpu, () => parseCgminerReply(raw));
  }

  /** Runs a synchronous step of the operation (auth crypto) on its CPU account. */
  charge<T>(step: () => T): T {
    return charged(this.io.cpu, step);
  }
}

export type Capability = 'sleep' | 'wake' | 'setPowerTarget';

export interface Dialect {
  readonly make: MinerMake;
  /** cgminer command(s), joined with '+', whose reply carries the telemetry. */
  readonly telemetryCommand: string;
  telemetry(reply: CgminerReply): MinerTelemetry;
  sleep?(s: MinerSession): Promise<void>;
  wake?(s: MinerSession): Promise<void>;
  /** Only called with a target already checked against the model's range. */
  setPowerTarget?(s: MinerSession, watts: number): Promise<void>;
  /** Ahead-of-time auth (see Miner.prepare); absent: nothing to prepare. */
  prepare?(s: MinerSession): Promise<void>;
  /** Why a capability is missing, for the error. */
  readonly unsupported?: Partial<Record<Capability, string>>;
}

export function checkPowerTarget(watts: number, model: AsicModel | undefined): void {
  if (model === undefined) throw new PowerTargetRangeError(`power target ${watts} W refused: the miner's model is unknown, so its allowed range is too`);
  if (!Number.isFinite(watts) || watts < model.minPowerW || watts > model.maxPowerW) {
    throw new PowerTargetRangeError(`power target ${watts} W refused: ${model.id} allows ${model.minPowerW}–${model.maxPowerW} W`);
  }
}

/**
 * A Miner is a class instance, not an object of closures: an agent keeps one per device (the
 * command executor) and makes one per read (the poller), tens of thousands of them, and six
 * closures each cost ~2 KB per miner in a 30,000-miner agent (measured: agent-footprint bench).
 */
class DialectMiner implements Miner {
  constructor(
    private readonly dialect: Dialect,
    private readonly address: MinerAddress,
  ) {}

  get make(): MinerMake {
    return this.dialect.make;
  }

  telemetry(io: IoOptions): Promise<MinerTelemetry> {
    return this.run('reading telemetry', io, async (s) => this.dialect.telemetry(await s.call(this.dialect.telemetryCommand)));
  }

  async sleep(io: IoOptions): Promise<void> {
    const sleep = this.method('sleep');
    return this.run('sleep', io, (s) => sleep(s));
  }

  async wake(io: IoOptions): Promise<void> {
    const wake = this.method('wake');
    return this.run('wake', io, (s) => wake(s));
  }

  async prepare(io: IoOptions): Promise<void> {
    const prepare = this.dialect.prepare?.bind(this.dialect);
    if (prepare !== undefined) await this.run('preparing for commands', io, (s) => prepare(s));
  }

  async setPowerTarget(watts: number, io: IoOptions): Promise<void> {
    const set = this.method('setPowerTarget');
    checkPowerTarget(watts, this.address.model);
    return this.run(`setting power target ${watts} W`, io, (s) => set(s, watts));
  }

  private async run<T>(what: string, io: IoOptions, op: (s: MinerSession) => Promise<T>): Promise<T> {
    try {
      return await op(new MinerSession(this.address, io));
    } catch (err) {
      // Transport failures pass through as they are: the caller knows the address and
      // decides offline vs error on the type (the poller prefixes its own context).
      if (err instanceof UnsupportedCapabilityError || err instanceof PowerTargetRangeError || err instanceof CgminerTransportError) throw err;
      throw new MinerCommandError(`${what} on ${this.dialect.make} miner ${this.address.host}:${this.address.port}: ${errorMessage(err)}`, { cause: err });
    }
  }

  private method<K extends Capability>(name: K): NonNullable<Dialect[K]> {
    const fn = this.dialect[name];
    if (fn === undefined) throw new UnsupportedCapabilityError(this.dialect.make, name, this.dialect.unsupported?.[name] ?? 'not offered by this firmware');
    return fn.bind(this.dialect) as NonNullable<Dialect[K]>;
  }
}

export function minerOf(dialect: Dialect, address: MinerAddress): Miner {
  return new DialectMiner(dialect, address);
}
