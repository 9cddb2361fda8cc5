import modbusSerial from 'modbus-serial';
import { errorMessage } from '../../../services/lib/errors.ts';
import { decodeRegister } from './decode.ts';
import { WIDTH, type ModbusProfile, type RegisterDef } from './profile.ts';

/**
 * The generic Modbus engine: plan contiguous reads from a profile (pure), read them over one
 * TCP connection per endpoint with a deadline per request, decode. A gateway serves many
 * unit ids over one connection, so requests on a connection run one at a time.
 */
export type RegisterFunction = RegisterDef['function'];

export interface ReadBlock {
  function: RegisterFunction;
  start: number;
  count: number;
  defs: Array<{ def: RegisterDef; offset: number }>;
}

/** Groups registers into as few requests as the profile's gap and size limits allow. */
export function planReads(profile: ModbusProfile): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const fn of ['holding', 'input'] as const) {
    const defs = profile.registers.filter((r) => r.function === fn).sort((a, b) => a.register - b.register);
    let current: ReadBlock | undefined;
    for (const def of defs) {
      const end = def.register + WIDTH[def.type];
      const fits =
        current !== undefined &&
        def.register - (current.start + current.count) <= profile.maxGapRegisters &&
        end - current.start <= profile.maxBlockRegisters;
      if (!fits) {
        current = { function: fn, start: def.register, count: 0, defs: [] };
        blocks.push(current);
      }
      const block = current as ReadBlock;
      block.defs.push({ def, offset: def.register - block.start });
      block.count = Math.max(block.count, end - block.start);
    }
  }
  return blocks;
}

export interface RegisterReader {
  read(unitId: number, fn: RegisterFunction, start: number, count: number): Promise<number[]>;
}

export interface ProfileReading {
  metrics: Record<string, number>;
  /** Metrics the device reported as not available (sentinel, NaN). */
  missing: string[];
  /** Requests that failed while others succeeded, e.g. "holding 3204+4: Modbus exception 2 …". */
  failures: string[];
}

/** Reads every block; throws only when no block could be read. */
export async function readProfile(reader: RegisterReader, unitId: number, profile: ModbusProfile, plan: ReadBlock[]): Promise<ProfileReading> {
  const out: ProfileReading = { metrics: {}, missing: [], failures: [] };
  let firstError: unknown;
  for (const block of plan) {
    let words: number[];
    try {
      words = await reader.read(unitId, block.function, block.start, block.count);
    } catch (err) {
      firstError ??= err;
      out.failures.push(`${block.function} ${block.start}+${block.count}: ${errorMessage(err)}`);
      continue;
    }
    for (const { def, offset } of block.defs) {
      const value = decodeRegister(words, offset, def, profile);
      if (value === undefined) out.missing.push(def.metric);
      else out.metrics[def.metric] = value;
    }
  }
  if (out.failures.length === plan.length && firstError !== undefined) throw firstError;
  return out;
}

const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

/** One Modbus TCP connection, opened on first use and again after any transport failure. */
export class ModbusConnection implements RegisterReader {
  private client: ModbusClient | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  read(unitId: number, fn: RegisterFunction, start: number, count: number): Promise<number[]> {
    const run = () => this.readNow(unitId, fn, start, count);
    const next = this.queue.then(run, run);
    // The queue only orders requests; each caller gets its own outcome through `next`.
    this.queue = next.then(
      () => 'done',
      () => 'failed',
    );
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    this.drop();
  }

  private async readNow(unitId: number, fn: RegisterFunction, start: number, count: number): Promise<number[]> {
    if (this.closed) throw new Error('connection closed');
    const client = await this.connected();
    client.setID(unitId);
    try {
      const result = await withDeadline(
        fn === 'holding' ? client.readHoldingRegisters(start, count) : client.readInputRegisters(start, count),
        this.timeoutMs,
        `no reply within ${this.timeoutMs} ms`,
      );
      return result.data;
    } catch (err) {
      // A Modbus exception is an answer: the connection is fine. Anything else (timeout,
      // reset) may leave a late reply in the stream, so start over on a fresh connection.
      if ((err as { modbusCode?: unknown }).modbusCode === undefined) this.drop();
      throw err;
    }
  }

  private async connected(): Promise<ModbusClient> {
    if (this.client?.isOpen) return this.client;
    this.drop();
    const client = new ModbusRTU();
    client.setTimeout(this.timeoutMs);
    this.client = client;
    try {
      await withDeadline(client.connectTCP(this.host, { port: this.port }), this.timeoutMs, `connect timed out after ${this.timeoutMs} ms`);
    } catch (err) {
      this.drop();
      const code = (err as { code?: string }).code;
      throw new Error(code ? `connect ${code}` : errorMessage(err), { cause: err });
    }
    return client;
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    // close() on a socket that never opened calls back with an error we have no use for:
    // the connection is being discarded either way.
    client.close(() => undefined);
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
