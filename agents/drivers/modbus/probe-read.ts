import { readResolved, resolveProfile } from './device.ts';
import { loadProfile, type ModbusProfile } from './profile.ts';
import { ModbusConnection } from './read.ts';
import { errorMessage } from '../../../services/lib/errors.ts';

/**
 * What `switchyard probe modbus` prints. Metrics carry their unit; metrics the device marks not
 * available are listed as missing, never zero; no answer is offline, a Modbus exception is error.
 */
export interface ModbusProbeResult {
  address: string;
  unitId: number;
  profile: string;
  make: string;
  model: string;
  status: 'online' | 'offline' | 'error';
  metrics: Record<string, { value: number; unit: string }>;
  missing: string[];
  /** Wire address of the SunSpec model read, for SunSpec profiles. */
  sunspecModelStart?: number;
  error?: string;
}

export async function probeModbus(o: { host: string; port: number; unitId: number; profile: string; timeoutMs: number; profileDir?: string }): Promise<ModbusProbeResult> {
  // A bad profile name or a broken profile is a usage error, thrown before any connection.
  const profile: ModbusProfile = o.profileDir === undefined ? loadProfile(o.profile) : loadProfile(o.profile, o.profileDir);
  const base = { address: `${o.host}:${o.port}`, unitId: o.unitId, profile: o.profile, make: profile.make, model: profile.model };
  const connection = new ModbusConnection(o.host, o.port, o.timeoutMs);
  try {
    const resolved = await resolveProfile(connection, o.unitId, profile);
    const reading = await readResolved(connection, o.unitId, resolved);
    const units = new Map(resolved.profile.registers.map((r) => [r.metric, r.unit]));
    const metrics = Object.fromEntries(Object.entries(reading.metrics).map(([m, value]) => [m, { value, unit: units.get(m) ?? '' }]));
    return {
      ...base,
      status: Object.keys(metrics).length > 0 ? 'online' : 'error',
      metrics,
      missing: reading.missing,
      ...(resolved.sunspecModelStart === undefined ? {} : { sunspecModelStart: resolved.sunspecModelStart }),
      ...(reading.failures.length > 0 ? { error: reading.failures.join('; ') } : {}),
    };
  } catch (err) {
    const answered = (err as { modbusCode?: unknown }).modbusCode !== undefined;
    const noAnswer = !answered && /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|timed out|no reply|Timed out/i.test(errorMessage(err));
    return { ...base, status: noAnswer ? 'offline' : 'error', metrics: {}, missing: [], error: errorMessage(err) };
  } finally {
    await connection.close();
  }
}
