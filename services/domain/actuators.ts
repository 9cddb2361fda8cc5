import type { InrushLimit } from './actuator-schema.ts';
import { DeviceLayoutError } from './devices.ts';
import type { SiteFile } from './site-schema.ts';

/**
 * The site's actuator channels — one per PDU outlet or relay coil — with the miners behind
 * each. Pure: derived from the site file. A channel's id is what commands, acks and the event
 * record name: `${actuatorId}/o${outlet}` or `${actuatorId}/c${coil}`.
 */
export interface ActuatorChannel {
  id: string;
  actuatorId: string;
  kind: 'pdu' | 'relay';
  /** Outlet number (PDU) or coil number (relay). */
  index: number;
  blockId: string;
  minerIds: string[];
}

export interface ActuatorLayout {
  channels: ActuatorChannel[];
  byId: Map<string, ActuatorChannel>;
  /** Miner id → the channel that cuts it. */
  channelOfMiner: Map<string, ActuatorChannel>;
  /** Actuator id → its own inrush limit from the site file (the profile's default applies otherwise). */
  inrush: Map<string, InrushLimit>;
}

export const channelId = (actuatorId: string, kind: 'pdu' | 'relay', index: number): string => `${actuatorId}/${kind === 'pdu' ? 'o' : 'c'}${index}`;

/** `B1-m00001..B1-m00008` → the eight ids, zero-padded as devices.ts numbers them. */
export function expandMinerRefs(refs: readonly string[], where: string): string[] {
  const out: string[] = [];
  for (const ref of refs) {
    const [from, to] = ref.split('..');
    if (to === undefined) {
      out.push(from as string);
      continue;
    }
    const a = /^(.+)-m(\d+)$/.exec(from as string);
    const b = /^(.+)-m(\d+)$/.exec(to);
    if (!a || !b || a[1] !== b[1]) throw new DeviceLayoutError(`${where}: range "${ref}" must run within one block (B1-m00001..B1-m00008)`);
    const lo = Number(a[2]);
    const hi = Number(b[2]);
    if (hi < lo) throw new DeviceLayoutError(`${where}: range "${ref}" runs backwards`);
    if (hi - lo >= 100_000) throw new DeviceLayoutError(`${where}: range "${ref}" is longer than 100,000 miners`);
    for (let n = lo; n <= hi; n++) out.push(`${a[1]}-m${String(n).padStart(5, '0')}`);
  }
  return out;
}

/**
 * Every channel, checked against the miners the site has (`minerIds`, from devices.ts): an
 * unknown miner, a miner of another block, a miner behind two channels, or an outlet or coil
 * declared twice is an error naming where.
 */
export function actuatorLayout(site: SiteFile, minerIds: ReadonlySet<string>): ActuatorLayout {
  const channels: ActuatorChannel[] = [];
  const byId = new Map<string, ActuatorChannel>();
  const channelOfMiner = new Map<string, ActuatorChannel>();
  const inrush = new Map<string, InrushLimit>();
  const blockIds = new Set(site.blocks.map((b) => b.id));
  const actuatorIds = new Set<string>();
  const add = (actuatorId: string, kind: 'pdu' | 'relay', index: number, blockId: string, refs: readonly string[], where: string) => {
    const id = channelId(actuatorId, kind, index);
    if (byId.has(id)) throw new DeviceLayoutError(`${where}: ${kind === 'pdu' ? 'outlet' : 'coil'} ${index} is declared twice`);
    const miners = expandMinerRefs(refs, where);
    for (const m of miners) {
      if (!minerIds.has(m)) throw new DeviceLayoutError(`${where}: no miner "${m}" in the site`);
      if (!m.startsWith(`${blockId}-m`)) throw new DeviceLayoutError(`${where}: miner ${m} is not in block ${blockId}`);
      const other = channelOfMiner.get(m);
      if (other !== undefined) throw new DeviceLayoutError(`${where}: miner ${m} is already behind ${other.id}`);
    }
    const channel: ActuatorChannel = { id, actuatorId, kind, index, blockId, minerIds: miners };
    for (const m of miners) channelOfMiner.set(m, channel);
    channels.push(channel);
    byId.set(id, channel);
  };
  const claim = (id: string, blockId: string, where: string, limit: InrushLimit | undefined) => {
    if (actuatorIds.has(id)) throw new DeviceLayoutError(`${where}: duplicate actuator id "${id}"`);
    actuatorIds.add(id);
    if (!blockIds.has(blockId)) throw new DeviceLayoutError(`${where}: no block with id "${blockId}"`);
    if (limit !== undefined) {
      if (limit.maxStepKw === undefined && limit.maxStepAmps === undefined) throw new DeviceLayoutError(`${where}: inrush needs maxStepKw or maxStepAmps`);
      if (limit.maxStepAmps !== undefined && limit.voltageV === undefined) throw new DeviceLayoutError(`${where}: inrush maxStepAmps needs voltageV`);
      inrush.set(id, limit);
    }
  };
  const acts = site.actuators;
  acts?.pdus.forEach((p, i) => {
    const where = `actuators.pdus[${i}] (${p.id})`;
    claim(p.id, p.blockId, where, p.inrush);
    for (const o of p.outlets) add(p.id, 'pdu', o.outlet, p.blockId, o.miners, where);
  });
  acts?.relays.forEach((r, i) => {
    const where = `actuators.relays[${i}] (${r.id})`;
    claim(r.id, r.blockId, where, r.inrush);
    for (const c of r.coils) add(r.id, 'relay', c.coil, r.blockId, c.miners, where);
  });
  return { channels, byId, channelOfMiner, inrush };
}

/** The limit in kW per step: the smaller of maxStepKw and maxStepAmps × voltageV. */
export function maxStepW(limit: InrushLimit): number {
  const kw = limit.maxStepKw ?? Number.POSITIVE_INFINITY;
  const amps = limit.maxStepAmps !== undefined && limit.voltageV !== undefined ? (limit.maxStepAmps * limit.voltageV) / 1000 : Number.POSITIVE_INFINITY;
  return Math.min(kw, amps) * 1000;
}
