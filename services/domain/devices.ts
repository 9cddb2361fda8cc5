import { Type, type Static } from '@sinclair/typebox';
import { Firmware, GpuHostRef, MeterRef, SnmpDeviceRef, SnmpV3Ref, type SiteFile } from './site-schema.ts';
import { Strict } from '../lib/strict.ts';
import { ContextError } from '../lib/errors.ts';
import { firstHost, formatIpv4, parseCidr, usableHosts, type Cidr } from './ipv4.ts';

/**
 * The site's devices as the agent and the twin address them. Pure: derived from the site
 * file only. Miner i of a group (1-based) gets the i-th host address of the group's CIDR,
 * one address per miner as on a real site. Ids number miners within a block across its
 * groups in file order, so they stay stable while the file's groups keep their order.
 */
export const MinerDevice = Strict({
  /** `${blockId}-m${n}` with n zero-padded to five digits, e.g. B1-m00042. */
  id: Type.String({ minLength: 1, maxLength: 128 }),
  blockId: Type.String({ minLength: 1 }),
  /** Key into the ASIC catalog. */
  model: Type.String({ minLength: 1 }),
  firmware: Firmware,
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
});
export type MinerDevice = Static<typeof MinerDevice>;

export const MeterDevice = Strict({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  role: MeterRef.properties.role,
  blockId: Type.Optional(Type.String({ minLength: 1 })),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  unitId: Type.Integer({ minimum: 0, maximum: 247 }),
  /** Name of a Modbus profile in agents/profiles/modbus/. */
  profile: Type.String({ minLength: 1 }),
});
export type MeterDevice = Static<typeof MeterDevice>;

/** An SNMP device as the agent reads it (the site's SnmpDeviceRef, defaults applied). */
export const SnmpDevice = Strict({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  kind: SnmpDeviceRef.properties.kind,
  blockId: Type.Optional(Type.String({ minLength: 1 })),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** Name of an SNMP profile in agents/profiles/snmp/. */
  profile: Type.String({ minLength: 1 }),
  version: SnmpDeviceRef.properties.version,
  community: Type.Optional(Type.String({ minLength: 1 })),
  v3: Type.Optional(SnmpV3Ref),
});
export type SnmpDevice = Static<typeof SnmpDevice>;

/** A GPU host as the agent polls it: one nvidia-smi run yields a reading per GPU. */
export const GpuHostDevice = Strict({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  blockId: Type.String({ minLength: 1 }),
  host: Type.String({ minLength: 1 }),
  nvidiaSmiPath: Type.String({ minLength: 1 }),
  powerLimitW: Type.Optional(GpuHostRef.properties.powerLimitW),
  /** Read through dcgm-exporter at this URL instead of nvidia-smi. */
  dcgmUrl: Type.Optional(GpuHostRef.properties.dcgmUrl),
});
export type GpuHostDevice = Static<typeof GpuHostDevice>;

export interface DeviceOptions {
  /** Replace every configured port (the twin on a random port, tests). */
  portOverride?: number;
}

export class DeviceLayoutError extends ContextError {
  constructor(message: string) {
    super('E_DEVICE_LAYOUT', message);
    this.name = 'DeviceLayoutError';
  }
}

export function isLoopbackIpv4(address: number): boolean {
  return Math.floor(address / 2 ** 24) === 127;
}

const pad = (n: number) => String(n).padStart(5, '0');

export function minerDevices(site: SiteFile, opts: DeviceOptions = {}): MinerDevice[] {
  const devices: MinerDevice[] = [];
  const taken = new Map<string, string>();
  for (const block of site.blocks) {
    let n = 0;
    block.miners.forEach((group, g) => {
      const where = `block ${block.id} miner group ${g} (${group.count} × ${group.model})`;
      const cidr = parseCidrIn(group.network.cidr, where);
      const hosts = usableHosts(cidr);
      if (group.count > hosts) {
        throw new DeviceLayoutError(`${where}: CIDR ${group.network.cidr} has ${hosts} host addresses, too few for ${group.count} miners`);
      }
      const first = firstHost(cidr);
      const port = opts.portOverride ?? group.network.port;
      for (let i = 0; i < group.count; i++) {
        n += 1;
        const id = `${block.id}-m${pad(n)}`;
        const host = formatIpv4(first + i);
        const endpoint = `${host}:${port}`;
        const other = taken.get(endpoint);
        if (other !== undefined) {
          throw new DeviceLayoutError(`${where}: miner ${id} would share ${endpoint} with ${other} (overlapping CIDRs)`);
        }
        taken.set(endpoint, id);
        devices.push({ id, blockId: block.id, model: group.model, firmware: group.firmware, host, port });
      }
    });
  }
  return devices;
}

export function meterDevices(site: SiteFile, opts: DeviceOptions = {}): MeterDevice[] {
  const blockIds = new Set(site.blocks.map((b) => b.id));
  const seen = new Set<string>();
  return site.meters.map((m) => {
    if (seen.has(m.id)) throw new DeviceLayoutError(`meter ${m.id}: duplicate meter id`);
    seen.add(m.id);
    if (m.role === 'block' && (m.blockId === undefined || !blockIds.has(m.blockId))) {
      throw new DeviceLayoutError(`meter ${m.id}: a block meter needs the blockId of a block in the site (got ${m.blockId ?? 'none'})`);
    }
    const device: MeterDevice = {
      id: m.id,
      role: m.role,
      host: m.host,
      port: opts.portOverride ?? m.port,
      unitId: m.unitId,
      profile: m.profile,
    };
    if (m.blockId !== undefined) device.blockId = m.blockId;
    return device;
  });
}

export function snmpDevices(site: SiteFile, opts: DeviceOptions = {}): SnmpDevice[] {
  const seen = new Set<string>();
  return site.snmpDevices.map((d) => {
    if (seen.has(d.id)) throw new DeviceLayoutError(`SNMP device ${d.id}: duplicate id`);
    seen.add(d.id);
    if (d.version === '3' && d.v3 === undefined) throw new DeviceLayoutError(`SNMP device ${d.id}: version 3 needs v3 settings`);
    const device: SnmpDevice = { id: d.id, kind: d.kind, host: d.host, port: opts.portOverride ?? d.port, profile: d.profile, version: d.version };
    if (d.blockId !== undefined) device.blockId = d.blockId;
    if (d.community !== undefined) device.community = d.community;
    if (d.v3 !== undefined) device.v3 = { ...d.v3 };
    return device;
  });
}

export function gpuHostDevices(site: SiteFile): GpuHostDevice[] {
  const seen = new Set<string>();
  return site.gpuHosts.map((h) => {
    if (seen.has(h.id)) throw new DeviceLayoutError(`GPU host ${h.id}: duplicate id`);
    seen.add(h.id);
    const device: GpuHostDevice = { id: h.id, blockId: h.blockId, host: h.host, nvidiaSmiPath: h.nvidiaSmiPath };
    if (h.powerLimitW !== undefined) device.powerLimitW = h.powerLimitW;
    if (h.dcgmUrl !== undefined) device.dcgmUrl = h.dcgmUrl;
    return device;
  });
}

function parseCidrIn(text: string, where: string): Cidr {
  let cidr: Cidr;
  try {
    cidr = parseCidr(text);
  } catch (err) {
    throw new DeviceLayoutError(`${where}: ${(err as Error).message}`);
  }
  // A set host bit is almost always a typo; guessing which network was meant would give
  // miners addresses nobody planned.
  if (cidr.hostBitsSet) throw new DeviceLayoutError(`${where}: CIDR ${text} has host bits set (the network is ${formatIpv4(cidr.network)}/${cidr.prefix})`);
  return cidr;
}
