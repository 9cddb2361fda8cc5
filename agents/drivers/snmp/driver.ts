import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import type { SnmpDevice } from '../../../services/domain/devices.ts';
import { ContextError, wrap } from '../../../services/lib/errors.ts';
import { SNMP_DEVICE_KINDS } from './kinds.ts';
import type { DeviceDriver } from '../../device-driver.ts';
import { loadProfile, type SnmpProfile } from './profile.ts';
import { readProfile, toReading } from './read.ts';
import { SnmpClient } from './session.ts';

/**
 * PDUs, cooling units and UPSes over SNMP: one reading per device per poll, read through the
 * device's profile by the generic engine (read.ts). Profiles are loaded when the driver is
 * built, so a misspelt profile name stops the agent at start-up, not at the first poll.
 */
export type SnmpPollTarget = SnmpDevice;

export interface SnmpDriverOptions {
  /** Where profiles are looked up (default agents/profiles/snmp). */
  profileDir?: string;
}

export function snmpDriver(devices: readonly SnmpDevice[], opts: SnmpDriverOptions = {}): DeviceDriver<SnmpPollTarget> {
  const profiles = new Map<string, SnmpProfile>();
  for (const d of devices) {
    if (profiles.has(d.profile)) continue;
    try {
      profiles.set(d.profile, opts.profileDir === undefined ? loadProfile(d.profile) : loadProfile(d.profile, opts.profileDir));
    } catch (err) {
      throw wrap(`SNMP device ${d.id}: loading profile "${d.profile}"`, err, 'E_SNMP_PROFILE');
    }
  }
  for (const d of devices) {
    if (!(SNMP_DEVICE_KINDS as readonly string[]).includes(d.kind)) {
      throw new ContextError('E_SNMP_KIND', `SNMP device ${d.id}: kind "${d.kind}" is not one the SNMP driver reads (${SNMP_DEVICE_KINDS.join(', ')})`);
    }
  }
  return {
    kind: 'snmp',
    // Each device's readings carry its own kind (pdu, cooling or ups): PollTarget.kind.
    deviceKind: 'pdu',
    async read(target, { timeoutMs, signal }): Promise<Reading> {
      const profile = profiles.get(target.profile);
      if (profile === undefined) throw new Error(`no profile "${target.profile}" was loaded for ${target.id}`);
      const atMs = Date.now();
      // Two tries of a quarter of the deadline each: a dead device is reported offline by us,
      // with the SNMP error, well before the poller's deadline fires.
      const client = new SnmpClient({
        host: target.host,
        port: target.port,
        timeoutMs: Math.max(100, Math.floor(timeoutMs / 4)),
        retries: 1,
        ...(target.version === '3' && target.v3 !== undefined ? { v3: target.v3 } : { community: target.community ?? 'public' }),
      });
      const onAbort = () => client.close();
      signal.addEventListener('abort', onAbort, { once: true });
      let result;
      try {
        result = await readProfile(client, profile, target.profile).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      } finally {
        signal.removeEventListener('abort', onAbort);
        client.close();
      }
      const reading = toReading(target.id, profile, atMs, result);
      return { ...reading, kind: target.kind, ...(target.blockId === undefined ? {} : { blockId: target.blockId }) };
    },
  };
}
