import net from 'node:net';
import modbusSerial, { type IServiceVector } from 'modbus-serial';
import { wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';
import type { RegisterImage } from './meter-registers.ts';

/**
 * The site's meters behind one Modbus TCP gateway, as meters on RS-485 usually sit behind a
 * serial-to-TCP gateway: one server on 127.0.0.1, each meter answering on its unit id.
 * Bound to loopback only: the twin never serves the outside network.
 */
export interface MeterGateway {
  port: number;
  close(): Promise<void>;
}

export interface MeterGatewayOptions {
  /** 0: any free port. */
  port: number;
  /** The current register image of the meter at a unit id, or undefined when none. */
  unit(unitId: number): RegisterImage | undefined;
  log: Logger;
}

const { ServerTCP } = modbusSerial;

/** Modbus exception codes. */
const ILLEGAL_FUNCTION = 0x01;
const ILLEGAL_ADDRESS = 0x02;
const GATEWAY_TARGET_FAILED = 0x0b;

class ModbusException extends Error {
  readonly modbusErrorCode: number;
  constructor(code: number, message: string) {
    super(message);
    this.modbusErrorCode = code;
  }
}

function registers(opts: MeterGatewayOptions, address: number, length: number, unitId: number): number[] {
  const image = opts.unit(unitId);
  if (image === undefined) throw new ModbusException(GATEWAY_TARGET_FAILED, `no meter at unit ${unitId}`);
  if (!image.has(address) || !image.has(address + length - 1)) {
    throw new ModbusException(ILLEGAL_ADDRESS, `registers ${address}+${length} are outside the meter's map`);
  }
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = image.word(address + i);
  return out;
}

export async function startMeterGateway(opts: MeterGatewayOptions): Promise<MeterGateway> {
  const vector: IServiceVector = {
    getHoldingRegister: (address: number, unitId: number) => registers(opts, address, 1, unitId)[0] as number,
    getMultipleHoldingRegisters: (address: number, length: number, unitId: number) => registers(opts, address, length, unitId),
    getInputRegister: () => {
      throw new ModbusException(ILLEGAL_FUNCTION, 'the PM5340 map is in holding registers');
    },
    getMultipleInputRegisters: () => {
      throw new ModbusException(ILLEGAL_FUNCTION, 'the PM5340 map is in holding registers');
    },
  };
  // modbus-serial's ServerTCP treats port 0 as "use 502", so a random port is chosen here
  // first; if another process takes it in between, try again.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port === 0 ? await freeLoopbackPort() : opts.port;
    try {
      return await listen(vector, port, opts.log);
    } catch (err) {
      if (opts.port !== 0 || attempt >= 5 || (err as { cause?: { code?: string } }).cause?.code !== 'EADDRINUSE') throw err;
    }
  }
}

async function listen(vector: IServiceVector, port: number, log: Logger): Promise<MeterGateway> {
  const server = new ServerTCP(vector, { host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(wrap(`starting the twin meter gateway on 127.0.0.1:${port}`, 'no answer in 5 s')), 5_000);
    server.on('initialized', () => {
      clearTimeout(timer);
      resolve();
    });
    server.on('serverError', (err: Error | null) => {
      clearTimeout(timer);
      reject(wrap(`starting the twin meter gateway on 127.0.0.1:${port}`, err));
    });
  });
  // Exceptions thrown by the vector become Modbus exception replies; these events are
  // socket-level problems (a client vanishing mid-request), worth a debug line each.
  server.on('socketError', (err: Error | null) => log.debug({ err: err?.message }, 'meter gateway client socket error'));
  server.on('error', (err: Error | null) => log.warn({ err: err?.message }, 'meter gateway could not answer a request'));
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err: Error | null) => (err ? reject(wrap('closing the twin meter gateway', err)) : resolve()));
      }),
  };
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(wrap('finding a free loopback port for the meter gateway', err)));
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
