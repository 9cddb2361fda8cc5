import { DeviceOwners } from '../domain/device-owners.ts';
import type { SiteFile } from '../domain/site-schema.ts';

/**
 * One agent per hall (issue 15): the devices of one agent's configuration, from the site
 * file's `agents` list (services/domain/device-owners.ts decides who owns what, as the
 * control plane does when it screens readings). Every list of devices in the configuration
 * (miners, meters, SNMP devices, GPU hosts …: arrays of objects with an `id`) keeps only the
 * agent's own; every other key is left as it is. Pure. A site without `agents` has one agent
 * with everything.
 */
export function devicesOfAgent<C extends object>(site: SiteFile, agentId: string, config: C, owners = new DeviceOwners(site)): C {
  if (!owners.assigned) return config;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = isDeviceList(value) ? value.filter((d) => owners.ownerOf(d.id, typeof d.blockId === 'string' ? d.blockId : undefined) === agentId) : value;
  }
  return out as C;
}

function isDeviceList(value: unknown): value is Array<{ id: string; blockId?: unknown }> {
  return Array.isArray(value) && value.length > 0 && value.every((d) => typeof d === 'object' && d !== null && typeof (d as { id?: unknown }).id === 'string');
}
