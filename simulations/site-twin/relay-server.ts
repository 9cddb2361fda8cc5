import type { IServiceVector } from 'modbus-serial';
import type { Logger } from '../../services/lib/log.ts';
import { GATEWAY_TARGET_FAILED, ILLEGAL_ADDRESS, ILLEGAL_FUNCTION, ModbusException, startModbusGateway, type ModbusGateway } from './modbus-gateway.ts';

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

export type RelayGateway = ModbusGateway;

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
  return startModbusGateway('relay gateway', vector, o.port, o.log);
}
