import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { SnmpDevice, snmpDevices } from '../../../services/domain/devices.ts';
import { SnmpDeviceRef } from '../../../services/domain/site-schema.ts';
import { Strict } from '../../../services/lib/strict.ts';
import { driverEntry } from '../driver-entry.ts';
import { snmpDriver } from './driver.ts';
import { SNMP_DEVICE_KINDS } from './kinds.ts';
import { registerProbeSnmp } from './probe.ts';
import { loadProfile, PROFILE_DIR, profileNames } from './profile.ts';

export const SNMP_DEFAULTS = { intervalMs: 10_000, timeoutMs: 5_000, concurrency: 32 } as const;

export const snmp = driverEntry({
  protocol: 'snmp',
  summary: 'PDUs, cooling units and UPSes over SNMP v2c or v3 (authPriv), read through OID profiles',
  deviceKinds: SNMP_DEVICE_KINDS,
  site: { key: 'snmpDevices', device: SnmpDeviceRef },
  config: Strict({
    /** PDUs, cooling units and UPSes read over SNMP (default none). */
    snmpDevices: Type.Optional(Type.Array(SnmpDevice)),
    /** SNMP tier interval (default 10000). */
    snmpIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
    /** Deadline per SNMP device read, all requests together (default 5000). */
    snmpTimeoutMs: Type.Optional(Type.Integer({ minimum: 200 })),
    /** Where SNMP profiles are looked up (default agents/profiles/snmp). */
    snmpProfileDir: Type.Optional(Type.String({ minLength: 1 })),
  }),
  fileDefaults: { snmpIntervalMs: SNMP_DEFAULTS.intervalMs },
  fromSite: (site, opts) => ({ snmpDevices: snmpDevices(site, opts) }),
  profileDir: PROFILE_DIR,
  profileNames: () => profileNames(),
  loadProfile: (name) => loadProfile(name),
  readme: fileURLToPath(new URL('./README.md', import.meta.url)),
  sampleConfig: fileURLToPath(new URL('./sample.yaml', import.meta.url)),
  tier: (config) => {
    const devices = config.snmpDevices ?? [];
    if (devices.length === 0) return null;
    return {
      name: 'snmp polling',
      driver: snmpDriver(devices, config.snmpProfileDir === undefined ? {} : { profileDir: config.snmpProfileDir }),
      targets: devices,
      intervalMs: config.snmpIntervalMs ?? SNMP_DEFAULTS.intervalMs,
      timeoutMs: config.snmpTimeoutMs ?? SNMP_DEFAULTS.timeoutMs,
      concurrency: SNMP_DEFAULTS.concurrency,
    };
  },
  probe: { command: 'snmp', register: registerProbeSnmp },
});
