import type { AsicModel } from '../domain/catalog.ts';
import { minerDevices } from '../domain/devices.ts';
import type { Firmware, SiteFile } from '../domain/site-schema.ts';
import type { LiveState } from '../telemetry/live-state.ts';
import type { MinerState, ShedState } from './shed-state.ts';

/**
 * The shed planner's view of the site, from live telemetry: each miner's last reported draw
 * (offline, stale or unknown draw → left out), its model's range and efficiency, and whether
 * its firmware takes a watt target through our drivers.
 */

/** Firmware whose driver sets a power target (stock Antminer, Braiins via gRPC only, Avalon work levels: no). */
const POWER_TARGET_FIRMWARE: ReadonlySet<Firmware> = new Set(['whatsminer', 'luxos']);

export function liveShedState(site: SiteFile, live: LiveState, asics: ReadonlyMap<string, AsicModel>, siteLoadW: number, exclude: ReadonlySet<string>): ShedState {
  const miners: MinerState[] = [];
  for (const d of minerDevices(site)) {
    if (exclude.has(d.id)) continue;
    const model = asics.get(d.model);
    if (!model) continue;
    const r = live.reading(d.id);
    const powerW = r?.status === 'online' ? r.metrics.power_w : undefined;
    miners.push({
      id: d.id,
      blockId: d.blockId,
      model: d.model,
      online: r?.status === 'online' && r.labels?.mode !== 'sleeping',
      powerW: typeof powerW === 'number' ? powerW : Number.NaN,
      efficiencyJPerTh: model.efficiencyJPerTh,
      minPowerW: model.minPowerW,
      maxPowerW: model.maxPowerW,
      sleepPowerW: model.sleepPowerW,
      canSetPowerTarget: POWER_TARGET_FIRMWARE.has(d.firmware),
    });
  }
  return { siteLoadW, miners, gpuHosts: [], contracts: site.contracts };
}
