import type { SiteFile } from './site-schema.ts';

/**
 * Which agent owns a device, from the site file's `agents` list. Pure. A device named in the
 * site file (meter, SNMP device, GPU host) is owned by the agent that names it, else by the
 * owner of its block. A miner's id carries its block (`B1-m00042`, see devices.ts); a GPU's
 * id starts with its host (`host/gpu0`) or is a UUID, owned by the owner of the block it
 * reports. A reading that names a block must name one its own agent owns.
 */
export class DeviceOwners {
  /** False when the site file has no `agents` list: then one agent holds everything. */
  readonly assigned: boolean;
  private readonly blockOwner = new Map<string, string>();
  private readonly deviceOwner = new Map<string, string>();
  private readonly blockIds: ReadonlySet<string>;
  readonly agentIds: readonly string[];

  constructor(site: SiteFile) {
    this.assigned = site.agents !== undefined;
    this.agentIds = (site.agents ?? []).map((a) => a.id);
    this.blockIds = new Set(site.blocks.map((b) => b.id));
    for (const a of site.agents ?? []) for (const b of a.blocks) this.blockOwner.set(b, a.id);
    const byBlock = (blockId: string | undefined) => (blockId === undefined ? undefined : this.blockOwner.get(blockId));
    const explicit = new Map<string, string>();
    for (const a of site.agents ?? []) for (const id of [...a.meters, ...a.snmpDevices, ...a.gpuHosts]) explicit.set(id, a.id);
    for (const d of [...site.meters, ...site.snmpDevices, ...site.gpuHosts]) {
      const owner = explicit.get(d.id) ?? byBlock(d.blockId);
      if (owner !== undefined) this.deviceOwner.set(d.id, owner);
    }
  }

  /**
   * The owning agent of a reading's device; null when no agent owns it. Only meaningful
   * when `assigned`.
   */
  ownerOf(deviceId: string, blockId?: string): string | null {
    const owner = this.deviceOwner.get(deviceId) ?? this.deviceOwner.get(deviceId.split('/')[0]!) ?? this.minerOwner(deviceId) ?? (blockId === undefined ? undefined : this.blockOwner.get(blockId));
    if (owner === undefined) return null;
    // A reading may not place a device in a block another agent owns.
    if (blockId !== undefined && this.blockIds.has(blockId) && this.blockOwner.get(blockId) !== owner && !this.deviceOwner.has(deviceId)) return null;
    return owner;
  }

  private minerOwner(deviceId: string): string | undefined {
    const m = /^(.+)-m\d+$/.exec(deviceId);
    return m && this.blockIds.has(m[1]!) ? this.blockOwner.get(m[1]!) : undefined;
  }
}
