import net from 'node:net';
import modbusSerial, { type IServiceVector } from 'modbus-serial';
import { wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';

/**
 * One Modbus TCP gateway of the twin (the meters', the relay modules'): a modbus-serial
 * ServerTCP on 127.0.0.1 only — the twin never serves the outside network — answering from
 * `vector`. Exceptions the vector throws become Modbus exception replies.
 */
export interface ModbusGateway {
  port: number;
  close(): Promise<void>;
}

/** Modbus exception codes. */
export const ILLEGAL_FUNCTION = 0x01;
export const ILLEGAL_ADDRESS = 0x02;
export const GATEWAY_TARGET_FAILED = 0x0b;

/** Thrown by a vector: modbus-serial answers with `modbusErrorCode` as the exception code. */
export class ModbusException extends Error {
  readonly modbusErrorCode: number;
  constructor(code: number, message: string) {
    super(message);
    this.modbusErrorCode = code;
  }
}

const { ServerTCP } = modbusSerial;

/**
 * Starts the gateway named `what` (for errors and logs) on `port`. modbus-serial's ServerTCP
 * treats port 0 as "use 502", so for 0 a random free port is chosen here first; if another
 * process takes it in between, it tries again (5 times).
 */
export async function startModbusGateway(what: string, vector: IServiceVector, port: number, log: Logger): Promise<ModbusGateway> {
  for (let attempt = 1; ; attempt++) {
    const chosen = port === 0 ? await freeLoopbackPort(what) : port;
    try {
      return await listen(what, vector, chosen, log);
    } catch (err) {
      if (port !== 0 || attempt >= 5 || (err as { cause?: { code?: string } }).cause?.code !== 'EADDRINUSE') throw err;
    }
  }
}

async function listen(what: string, vector: IServiceVector, port: number, log: Logger): Promise<ModbusGateway> {
  const server = new ServerTCP(vector, { host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(wrap(`starting the twin ${what} on 127.0.0.1:${port}`, 'no answer in 5 s')), 5_000);
    server.on('initialized', () => {
      clearTimeout(timer);
      resolve();
    });
    server.on('serverError', (err: Error | null) => {
      clearTimeout(timer);
      reject(wrap(`starting the twin ${what} on 127.0.0.1:${port}`, err));
    });
  });
  // Socket-level problems (a client vanishing mid-request), worth a debug line each.
  server.on('socketError', (err: Error | null) => log.debug({ err: err?.message }, `${what} client socket error`));
  server.on('error', (err: Error | null) => log.warn({ err: err?.message }, `${what} could not answer a request`));
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err: Error | null) => (err ? reject(wrap(`closing the twin ${what}`, err)) : resolve()));
      }),
  };
}

function freeLoopbackPort(what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(wrap(`finding a free loopback port for the ${what}`, err)));
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
