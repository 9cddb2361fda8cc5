import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { writeBenchSite } from './curtail-site.ts';

/**
 * The 50,000-miner bench site (curtail-site.ts) with coarse actuators: 64 relay modules of 8
 * coils (container contactors, ~48 miners a coil) over the first half of the fleet, and 625
 * switched PDUs of 10 outlets (4 miners an outlet; the four profiles in turn) over the rest.
 */
const PROFILES = ['apc-rpdu2', 'raritan-px2', 'servertech-sentry4', 'eaton-epdu'];

export function writeEmergencyBenchSite(miners: number): string {
  const path = writeBenchSite(miners);
  const site = parse(readFileSync(path, 'utf8')) as { blocks: Array<{ id: string; miners: Array<{ count: number }> }>; actuators?: unknown };
  const ids = site.blocks.flatMap((b) => {
    const n = b.miners.reduce((s, g) => s + g.count, 0);
    return Array.from({ length: n }, (_, i) => ({ blockId: b.id, id: `${b.id}-m${String(i + 1).padStart(5, '0')}` }));
  });
  const half = Math.floor(ids.length / 2);
  const relays: unknown[] = [];
  const pdus: unknown[] = [];
  // Relays: modules of 8 coils within one block each, over the first half.
  const relayMiners = ids.slice(0, half);
  const coils = 64 * 8;
  const byBlock = new Map<string, string[]>();
  for (const m of relayMiners) byBlock.set(m.blockId, [...(byBlock.get(m.blockId) ?? []), m.id]);
  // Modules per block in proportion to its miners, 64 in all.
  const blocks = [...byBlock];
  let modulesLeft = 64;
  blocks.forEach(([blockId, list], bi) => {
    const modules = bi === blocks.length - 1 ? modulesLeft : Math.round((64 * list.length) / relayMiners.length);
    modulesLeft -= modules;
    const perCoil = list.length / (modules * 8);
    for (let k = 0; k < modules; k++) {
      const cs = [];
      for (let c = 0; c < 8; c++) {
        const from = Math.round((k * 8 + c) * perCoil);
        const to = Math.round((k * 8 + c + 1) * perCoil) - 1;
        cs.push({ coil: c, miners: [`${list[from]}..${list[to]}`] });
      }
      relays.push({ id: `RLY-${relays.length + 1}`, blockId, host: '127.0.0.1', unitId: relays.length + 1, profile: 'generic-coils', inrush: { maxStepKw: 500, stepIntervalMs: 2000 }, coils: cs });
    }
  });
  if (relays.length !== 64 || coils !== 512) throw new Error(`bench site: ${relays.length} relay modules`);
  // PDUs: 10 outlets of 4 miners, within one block each, over the second half.
  const rest = ids.slice(half);
  for (let i = 0; i + 40 <= rest.length; ) {
    const blockId = rest[i]!.blockId;
    if (rest[i + 39]!.blockId !== blockId) {
      i++;
      continue;
    }
    const outlets = Array.from({ length: 10 }, (_, o) => ({ outlet: o + 1, miners: [`${rest[i + o * 4]!.id}..${rest[i + o * 4 + 3]!.id}`] }));
    pdus.push({ id: `PDU-${pdus.length + 1}`, blockId, host: '127.0.0.1', profile: PROFILES[pdus.length % 4], inrush: { maxStepKw: 30, stepIntervalMs: 1000 }, outlets });
    i += 40;
  }
  site.actuators = { pdus, relays };
  writeFileSync(path, stringify(site));
  return path;
}
