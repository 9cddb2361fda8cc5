import type { IServiceVector } from 'modbus-serial';
import type { Logger } from '../../services/lib/log.ts';
import { GATEWAY_TARGET_FAILED, ILLEGAL_ADDRESS, ILLEGAL_FUNCTION, ModbusException, startModbusGateway, type ModbusGateway } from './modbus-gateway.ts';
import type { RegisterImage } from './meter-registers.ts';

/**
 * The site's meters behind one Modbus TCP gateway, as meters on RS-485 usually sit behind a
 * serial-to-TCP gateway: one server on 127.0.0.1, each meter answering on its unit id.
 * Bound to loopback only: the twin never serves the outside network.
 */
export type MeterGateway = ModbusGateway;

export interface MeterGatewayOptions {
  /** 0: any free port. */
  port: number;
  /** The current register image of the meter at a unit id, or undefined when none. */
  unit(unitId: number): RegisterImage | undefined;
  log: Logger;
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
  return startModbusGateway('meter gateway', vector, opts.port, opts.log);
}
