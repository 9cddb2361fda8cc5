import modbusSerial from 'modbus-serial';
import { errorMessage } from '../../../services/lib/errors.ts';

/**
 * Coil I/O for relay modules: Read Coils (FC1) and Write Multiple Coils (FC15) on one Modbus
 * TCP connection, opened on first use and again after a transport failure, one request at a
 * time (a module answers in order), every request under a deadline.
 */
const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

export class CoilConnection {
  private client: ModbusClient | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  readCoils(unitId: number, start: number, count: number, timeoutMs: number): Promise<boolean[]> {
    return this.enqueue(`read coils ${start}..${start + count - 1} of unit ${unitId}`, timeoutMs, async (c) => (await c.readCoils(start, count)).data.slice(0, count), unitId);
  }

  writeCoils(unitId: number, start: number, states: readonly boolean[], timeoutMs: number): Promise<void> {
    return this.enqueue(`write coils ${start}..${start + states.length - 1} of unit ${unitId}`, timeoutMs, async (c) => {
      await c.writeCoils(start, [...states]);
    }, unitId);
  }

  close(): void {
    this.drop();
  }

  private enqueue<T>(doing: string, timeoutMs: number, work: (c: ModbusClient) => Promise<T>, unitId: number): Promise<T> {
    const run = async () => {
      const client = await this.connected(timeoutMs).catch((err: unknown) => {
        throw new Error(`${doing} at ${this.host}:${this.port}: ${errorMessage(err)}`, { cause: err });
      });
      client.setID(unitId);
      try {
        return await withDeadline(work(client), timeoutMs, `no reply within ${timeoutMs} ms`);
      } catch (err) {
        // A Modbus exception is an answer; anything else may leave a late reply in the stream.
        if ((err as { modbusCode?: unknown }).modbusCode === undefined) this.drop();
        throw new Error(`${doing} at ${this.host}:${this.port}: ${errorMessage(err)}`, { cause: err });
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.then(
      () => 'done',
      () => 'failed',
    );
    return next;
  }

  private async connected(timeoutMs: number): Promise<ModbusClient> {
    if (this.client?.isOpen) return this.client;
    this.drop();
    const client = new ModbusRTU();
    client.setTimeout(timeoutMs);
    this.client = client;
    try {
      await withDeadline(client.connectTCP(this.host, { port: this.port }), timeoutMs, `connect timed out after ${timeoutMs} ms`);
    } catch (err) {
      this.drop();
      throw err;
    }
    return client;
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    // Closing a socket that never opened calls back with an error of no use: it is discarded.
    client?.close(() => undefined);
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
