import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { MeterDevice, meterDevices } from '../../../services/domain/devices.ts';
import { MeterRef } from '../../../services/domain/site-schema.ts';
import { Strict } from '../../../services/lib/strict.ts';
import { driverEntry } from '../driver-entry.ts';
import { registerProbeModbus } from './probe.ts';
import { loadProfile, PROFILE_DIR, profileNames } from './profile.ts';
import { modbusTier } from './tier.ts';

export const MODBUS_DEFAULTS = { meterTimeoutMs: 1_000 } as const;

export const modbus = driverEntry({
  protocol: 'modbus',
  summary: 'power meters over Modbus TCP (directly or through a gateway), read through register profiles',
  deviceKinds: ['meter'],
  site: { key: 'meters', device: MeterRef },
  config: Strict({
    meters: Type.Array(MeterDevice),
    meterIntervalMs: Type.Integer({ minimum: 100 }),
    /** Deadline per Modbus request (default 1000). */
    meterTimeoutMs: Type.Optional(Type.Integer({ minimum: 50 })),
    /** Where Modbus profiles are looked up (default agents/profiles/modbus). */
    profileDir: Type.Optional(Type.String({ minLength: 1 })),
  }),
  fileDefaults: { meterIntervalMs: 1_000 },
  fromSite: (site, opts) => ({ meters: meterDevices(site, opts) }),
  profileDir: PROFILE_DIR,
  profileNames: () => profileNames(),
  loadProfile: (name) => loadProfile(name),
  readme: fileURLToPath(new URL('./README.md', import.meta.url)),
  sampleConfig: fileURLToPath(new URL('./sample.yaml', import.meta.url)),
  tier: (config) =>
    config.meters.length === 0
      ? null
      : modbusTier(config.meters, {
          intervalMs: config.meterIntervalMs,
          requestTimeoutMs: config.meterTimeoutMs ?? MODBUS_DEFAULTS.meterTimeoutMs,
          ...(config.profileDir === undefined ? {} : { profileDir: config.profileDir }),
        }),
  probe: { command: 'modbus', register: registerProbeModbus },
});
