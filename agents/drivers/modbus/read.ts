import modbusSerial from 'modbus-serial';
import { errorMessage } from '../../../services/lib/errors.ts';
import { decodeRegister, decodeScaleFactor } from './decode.ts';
import { WIDTH, type ModbusProfile, type RegisterDef } from './profile.ts';

/**
 * The generic Modbus engine: plan contiguous reads from a profile (pure), read them over one
 * TCP connection per endpoint with a deadline per request, decode. A gateway serves many
 * unit ids over one connection, so requests on a connection run one at a time.
 */
export type RegisterFunction = RegisterDef['function'];

export interface ReadBlock {
  function: RegisterFunction;
  /** Wire address of the first register. */
  start: number;
  count: number;
  defs: Array<{ def: RegisterDef; offset: number }>;
  /** Scale-factor registers (SunSpec *_SF) in this block. */
  scaleFactors?: Array<{ name: string; offset: number }>;
}

type PlanItem = { wire: number; width: number; def?: RegisterDef; scaleFactor?: string };

/**
 * Groups registers into as few requests as the profile's gap and size limits allow. Pure.
 * A SunSpec model profile is planned at its offsets (start 0 = the model's ID register): read it
 * through resolveProfile (device.ts), which finds the model on the device first.
 */
export function planReads(profile: ModbusProfile): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const fn of ['holding', 'input'] as const) {
    const items: PlanItem[] = [
      ...profile.registers.filter((r) => r.function === fn).map((def) => ({ wire: def.register - profile.addressBase, width: WIDTH[def.type], def })),
      ...(profile.scaleFactors ?? []).filter((sf) => sf.function === fn).map((sf) => ({ wire: sf.register - profile.addressBase, width: 1, scaleFactor: sf.name })),
    ].sort((a, b) => a.wire - b.wire);
    let current: ReadBlock | undefined;
    for (const item of items) {
      const end = item.wire + item.width;
      const fits =
        current !== undefined &&
        item.wire - (current.start + current.count) <= profile.maxGapRegisters &&
        end - current.start <= profile.maxBlockRegisters;
      if (!fits) {
        current = { function: fn, start: item.wire, count: 0, defs: [] };
        blocks.push(current);
      }
      const block = current as ReadBlock;
      const offset = item.wire - block.start;
      if (item.def !== undefined) block.defs.push({ def: item.def, offset });
      if (item.scaleFactor !== undefined) (block.scaleFactors ??= []).push({ name: item.scaleFactor, offset });
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
  /** Metrics the device reported as not available (sentinel, NaN, scale factor not implemented). */
  missing: string[];
  /** Requests that failed while others succeeded, e.g. "holding 3204+4: Modbus exception 2 …". */
  failures: string[];
}

/** Reads every block, then decodes (scale factors may sit in another block); throws only when no block could be read. */
export async function readProfile(reader: RegisterReader, unitId: number, profile: ModbusProfile, plan: ReadBlock[]): Promise<ProfileReading> {
  const out: ProfileReading = { metrics: {}, missing: [], failures: [] };
  let firstError: unknown;
  const read: Array<{ block: ReadBlock; words: number[] }> = [];
  for (const block of plan) {
    try {
      read.push({ block, words: await reader.read(unitId, block.function, block.start, block.count) });
    } catch (err) {
      firstError ??= err;
      out.failures.push(`${block.function} ${block.start}+${block.count}: ${errorMessage(err)}`);
    }
  }
  if (read.length === 0 && firstError !== undefined) throw firstError;
  const exponents = new Map<string, number | undefined>();
  for (const { block, words } of read) {
    for (const sf of block.scaleFactors ?? []) exponents.set(sf.name, decodeScaleFactor(words[sf.offset]));
  }
  for (const { block, words } of read) {
    for (const { def, offset } of block.defs) {
      const exponent = def.scaleFactor === undefined ? 0 : exponents.get(def.scaleFactor);
      const value = exponent === undefined ? undefined : decodeRegister(words, offset, def, profile, exponent);
      if (value === undefined) out.missing.push(def.metric);
      else out.metrics[def.metric] = value;
    }
  }
  return out;
}

/** modbus-serial rejects with plain objects ({ name, message, errno }) as well as Errors. */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === 'object' && cause !== null && typeof (cause as { message?: unknown }).message === 'string') {
    const { message, errno } = cause as { message: string; errno?: unknown };
    return typeof errno === 'string' ? `${message} (${errno})` : message;
  }
  return String(cause);
}

/** A failed request, naming where it went; `modbusCode` is set when the device answered with an exception. */
export class ModbusRequestError extends Error {
  readonly modbusCode: number | undefined;
  constructor(
    readonly endpoint: string,
    readonly unitId: number,
    readonly request: string,
    cause: unknown,
  ) {
    super(`modbus ${endpoint} unit ${unitId} ${request}: ${describeCause(cause)}`, { cause });
    this.name = 'ModbusRequestError';
    const code = (cause as { modbusCode?: unknown }).modbusCode;
    this.modbusCode = typeof code === 'number' ? code : undefined;
  }
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
    const request = `${fn} registers ${start}..${start + count - 1}`;
    if (this.closed) throw new ModbusRequestError(`${this.host}:${this.port}`, unitId, request, new Error('connection closed'));
    let client: ModbusClient;
    try {
      client = await this.connected();
    } catch (err) {
      throw new ModbusRequestError(`${this.host}:${this.port}`, unitId, request, err);
    }
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
      throw new ModbusRequestError(`${this.host}:${this.port}`, unitId, request, err);
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
