import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import type { MeterDevice } from '../../../services/domain/devices.ts';
import { errorMessage } from '../../../services/lib/errors.ts';
import type { ModbusProfile } from './profile.ts';
import { readProfile, type ReadBlock, type RegisterReader } from './read.ts';

/**
 * One meter → one Reading. No answer (refused, timeout) is offline; a Modbus exception is
 * an answer, so error; registers the meter marks not available are left out.
 */
export async function readMeter(
  device: MeterDevice,
  reader: RegisterReader,
  profile: ModbusProfile,
  plan: ReadBlock[],
  now: () => number = Date.now,
): Promise<Reading> {
  const base: Pick<Reading, 'deviceId' | 'kind' | 'blockId'> = { deviceId: device.id, kind: 'meter' };
  if (device.blockId !== undefined) base.blockId = device.blockId;
  const labels = { role: device.role, profile: device.profile };
  const where = `reading meter ${device.id} at ${device.host}:${device.port} unit ${device.unitId}`;
  try {
    const result = await readProfile(reader, device.unitId, profile, plan);
    if (Object.keys(result.metrics).length === 0) {
      return { ...base, atMs: now(), status: 'error', error: `${where}: every register is not available`, metrics: {}, labels };
    }
    const reading: Reading = { ...base, atMs: now(), status: 'online', metrics: result.metrics, labels };
    if (result.failures.length > 0) reading.error = `${where}: ${result.failures.join('; ')}`.slice(0, 2000);
    return reading;
  } catch (err) {
    return meterFailure(device, err, now);
  }
}

/** A meter that did not answer (offline) or answered with a Modbus exception (error). */
export function meterFailure(device: MeterDevice, err: unknown, now: () => number = Date.now): Reading {
  const answered = (err as { modbusCode?: unknown }).modbusCode !== undefined;
  const error = `reading meter ${device.id} at ${device.host}:${device.port} unit ${device.unitId}: ${errorMessage(err)}`.slice(0, 2000);
  return {
    deviceId: device.id,
    kind: 'meter',
    ...(device.blockId === undefined ? {} : { blockId: device.blockId }),
    atMs: now(),
    status: answered ? 'error' : 'offline',
    error,
    metrics: {},
    labels: { role: device.role, profile: device.profile },
  };
}
