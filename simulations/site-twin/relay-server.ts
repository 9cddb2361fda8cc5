import net from 'node:net';
import modbusSerial, { type IServiceVector } from 'modbus-serial';
import { wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';

/**
 * The twin's relay modules behind one Modbus TCP gateway on 127.0.0.1, each on its unit id:
 * Read Coils (FC1), Write Single Coil (FC5) and Write Multiple Coils (FC15: modbus-serial sets
 * its coils one by one in the same tick, so they switch together — one switching step; its
 * setCoilArray path answers before it runs and would hide an illegal address). Coil addresses
 * are wire addresses; a coil the module does not have is an illegal-address exception.
 */
export interface RelayUnit {
  /** The coil's state (true = ON), or undefined when the module has no such coil. */
  coil(address: number): boolean | undefined;
  /** Sets coils from `start` on. */
  write(start: number, states: readonly boolean[]): void;
}

export interface RelayGatewayOptions {
  port: number;
  unit(unitId: number): RelayUnit | undefined;
  log: Logger;
}

export interface RelayGateway {
  port: number;
  close(): Promise<void>;
}

const { ServerTCP } = modbusSerial;
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

function unitOf(o: RelayGatewayOptions, unitId: number): RelayUnit {
  const u = o.unit(unitId);
  if (u === undefined) throw new ModbusException(GATEWAY_TARGET_FAILED, `no relay module at unit ${unitId}`);
  return u;
}

function checkCoils(u: RelayUnit, start: number, count: number): void {
  for (let a = start; a < start + count; a++) if (u.coil(a) === undefined) throw new ModbusException(ILLEGAL_ADDRESS, `coil ${a} is not on this module`);
}

export async function startRelayGateway(o: RelayGatewayOptions): Promise<RelayGateway> {
  const noRegisters = () => {
    throw new ModbusException(ILLEGAL_FUNCTION, 'a relay module has coils only');
  };
  const vector = {
    getCoil: (address: number, unitId: number) => {
      const u = unitOf(o, unitId);
      checkCoils(u, address, 1);
      return u.coil(address) as boolean;
    },
    setCoil: (address: number, value: boolean, unitId: number) => {
      const u = unitOf(o, unitId);
      checkCoils(u, address, 1);
      u.write(address, [value]);
    },
    getHoldingRegister: noRegisters,
    getMultipleHoldingRegisters: noRegisters,
    getInputRegister: noRegisters,
    getMultipleInputRegisters: noRegisters,
  } as IServiceVector;
  for (let attempt = 1; ; attempt++) {
    const port = o.port === 0 ? await freeTcpPort() : o.port;
    try {
      return await listen(vector, port, o.log);
    } catch (err) {
      if (o.port !== 0 || attempt >= 5 || (err as { cause?: { code?: string } }).cause?.code !== 'EADDRINUSE') throw err;
    }
  }
}

async function listen(vector: IServiceVector, port: number, log: Logger): Promise<RelayGateway> {
  const server = new ServerTCP(vector, { host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(wrap(`starting the twin relay gateway on 127.0.0.1:${port}`, 'no answer in 5 s')), 5_000);
    server.on('initialized', () => {
      clearTimeout(timer);
      resolve();
    });
    server.on('serverError', (err: Error | null) => {
      clearTimeout(timer);
      reject(wrap(`starting the twin relay gateway on 127.0.0.1:${port}`, err));
    });
  });
  server.on('socketError', (err: Error | null) => log.debug({ err: err?.message }, 'relay gateway client socket error'));
  server.on('error', (err: Error | null) => log.warn({ err: err?.message }, 'relay gateway could not answer a request'));
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err: Error | null) => (err ? reject(wrap('closing the twin relay gateway', err)) : resolve()));
      }),
  };
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(wrap('finding a free loopback port for the relay gateway', err)));
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
