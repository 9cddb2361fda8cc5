import { Type, type TProperties } from '@sinclair/typebox';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import type { DriverEntry } from './driver-entry.ts';
import { cgminer } from './cgminer/entry.ts';
import { dcgm } from './dcgm/entry.ts';
import { modbus } from './modbus/entry.ts';
import { nvidiaSmi } from './nvidia-smi/entry.ts';
import { snmp } from './snmp/entry.ts';

export type { DriverEntry } from './driver-entry.ts';
export { MINER_MAKES, type MinerMake } from './cgminer/miner.ts';

/**
 * Every protocol the agent speaks, registered once: one folder agents/drivers/<protocol>/
 * with its entry.ts (see driver-entry.ts), README.md and sample.yaml. The agent config, the
 * poller's tiers, the probe CLI and the device kinds come from here. Meters first: their tier
 * starts first, since they prove curtailment.
 */
export const DRIVERS = [modbus, cgminer, snmp, nvidiaSmi, dcgm] as const;

/** The agent config's keys of every driver (agents/agent-config.ts adds the agent's own). */
export const DRIVER_CONFIG_PROPERTIES = {
  ...cgminer.config.properties,
  ...modbus.config.properties,
  ...snmp.config.properties,
  ...nvidiaSmi.config.properties,
  ...dcgm.config.properties,
};

/** The agent config's device lists (from the site file, never set in an agent config file). */
const DEVICE_LIST_KEYS = new Set(DRIVERS.flatMap((d) => Object.entries(d.config.properties as TProperties).filter(([, v]) => v.type === 'array').map(([k]) => k)));

/** The driver keys an agent config file may set (intervals, deadlines, profile folders), all optional. */
export const DRIVER_FILE_PROPERTIES: TProperties = Object.fromEntries(
  Object.entries(DRIVER_CONFIG_PROPERTIES)
    .filter(([k]) => !DEVICE_LIST_KEYS.has(k))
    .map(([k, schema]) => [k, Type.Optional(schema)]),
);

/** Their defaults in a file (each driver's fileDefaults). */
export const DRIVER_FILE_DEFAULTS = { ...cgminer.fileDefaults, ...modbus.fileDefaults, ...snmp.fileDefaults, ...nvidiaSmi.fileDefaults, ...dcgm.fileDefaults };

/** Every Reading kind a driver yields. */
export const DEVICE_KINDS: readonly string[] = [...new Set(DRIVERS.flatMap((d) => d.deviceKinds))];

/**
 * Every driver's devices in a site file, as the agent config lists them. `ports`: a port that
 * replaces the site file's for one protocol (a twin on another port).
 */
export function siteDevices(site: SiteFile, ports: Partial<Record<(typeof DRIVERS)[number]['protocol'], number>> = {}) {
  const opts = (protocol: keyof typeof ports) => (ports[protocol] === undefined ? {} : { portOverride: ports[protocol] as number });
  return {
    ...cgminer.fromSite(site, opts('cgminer')),
    ...modbus.fromSite(site, opts('modbus')),
    ...snmp.fromSite(site, opts('snmp')),
    ...nvidiaSmi.fromSite(site, opts('nvidia-smi')),
    ...dcgm.fromSite(site),
  };
}

export function driverFor(protocol: string): DriverEntry<any> | undefined {
  return (DRIVERS as readonly DriverEntry<any>[]).find((d) => d.protocol === protocol);
}
