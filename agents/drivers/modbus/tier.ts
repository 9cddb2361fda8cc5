import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import type { MeterDevice } from '../../../services/domain/devices.ts';
import { wrap } from '../../../services/lib/errors.ts';
import type { DeviceDriver } from '../../device-driver.ts';
import type { DriverTier } from '../../poller.ts';
import { resolveProfile, type ResolvedProfile } from './device.ts';
import { meterFailure, readMeter } from './meter-reading.ts';
import { loadProfile, type ModbusProfile } from './profile.ts';
import { ModbusConnection, planReads, type ReadBlock } from './read.ts';

/**
 * Meters over Modbus TCP as an ordinary poll tier: one target per meter, one connection per
 * endpoint (a gateway serves many unit ids, one request at a time, see ModbusConnection).
 * Profiles are loaded and planned when the tier is built, so a misspelt profile name stops
 * the agent at start-up instead of leaving a meter silently unread. A SunSpec model profile
 * finds its model on the meter (marker, model chain) at the first read, then keeps that plan.
 */
export interface ModbusTierOptions {
  intervalMs: number;
  /** Deadline per Modbus request (connect, each read). */
  requestTimeoutMs: number;
  /** Where profiles are looked up (default agents/profiles/modbus). */
  profileDir?: string;
}

interface MeterPlan {
  profile: ModbusProfile;
  /** The plan at the meter's addresses; for a SunSpec profile, known after the first read. */
  resolved: ResolvedProfile | undefined;
  connection: ModbusConnection;
}

export function modbusTier(meters: readonly MeterDevice[], opts: ModbusTierOptions): DriverTier<MeterDevice, Reading> {
  const profiles = new Map<string, { profile: ModbusProfile; plan: ReadBlock[] }>();
  const connections = new Map<string, ModbusConnection>();
  const plans = new Map<string, MeterPlan>();
  // Requests per endpoint in one cycle: a meter behind a busy gateway waits for the others.
  const requests = new Map<string, number>();
  for (const device of meters) {
    let entry = profiles.get(device.profile);
    if (entry === undefined) {
      let profile: ModbusProfile;
      try {
        profile = opts.profileDir === undefined ? loadProfile(device.profile) : loadProfile(device.profile, opts.profileDir);
      } catch (err) {
        throw wrap(`meter ${device.id}: loading Modbus profile "${device.profile}"`, err, 'E_MODBUS_PROFILE');
      }
      entry = { profile, plan: planReads(profile) };
      profiles.set(device.profile, entry);
    }
    const key = `${device.host}:${device.port}`;
    let connection = connections.get(key);
    if (connection === undefined) connections.set(key, (connection = new ModbusConnection(device.host, device.port, opts.requestTimeoutMs)));
    const resolved = entry.profile.sunspec === undefined ? { profile: entry.profile, plan: entry.plan } : undefined;
    plans.set(device.id, { profile: entry.profile, resolved, connection });
    // A SunSpec discovery walks the model chain: count a few more requests for it.
    requests.set(key, (requests.get(key) ?? 0) + Math.max(1, entry.plan.length) + (resolved === undefined ? 8 : 0));
  }
  const driver: DeviceDriver<MeterDevice, Reading> = {
    kind: 'modbus',
    deviceKind: 'meter',
    async read(target) {
      const m = plans.get(target.id);
      if (m === undefined) throw new Error(`no Modbus plan was built for meter ${target.id}`);
      if (m.resolved === undefined) {
        try {
          m.resolved = await resolveProfile(m.connection, target.unitId, m.profile);
        } catch (err) {
          return meterFailure(target, err);
        }
      }
      return readMeter(target, m.connection, m.resolved.profile, m.resolved.plan);
    },
  };
  // Each request has its own deadline, so a meter answers (online, error or offline) within
  // the requests queued on its endpoint; the tier's deadline is only the backstop.
  const busiest = Math.max(0, ...requests.values());
  return {
    name: 'meter polling',
    driver,
    targets: [...meters],
    intervalMs: opts.intervalMs,
    timeoutMs: busiest * opts.requestTimeoutMs + 1_000,
    // Meters on different endpoints in parallel; ModbusConnection orders those that share one.
    concurrency: Math.max(1, meters.length),
    close: async () => {
      await Promise.all([...connections.values()].map((c) => c.close()));
    },
  };
}
