import type { AsicModel } from '../domain/catalog.ts';
import { minerDevices, type MinerDevice } from '../domain/devices.ts';
import type { Firmware, SiteFile } from '../domain/site-schema.ts';
import type { LiveState } from '../telemetry/live-state.ts';
import type { GpuHostState, MinerState, ShedState } from './shed-state.ts';

/**
 * The shed planner's view of the site, from live telemetry: each miner's last reported draw
 * (offline, stale or unknown draw → left out), its model's range and efficiency, and whether
 * its firmware takes a watt target through our drivers.
 */

/** Firmware whose driver sets a power target (stock Antminer, Braiins via gRPC only, Avalon work levels: no). */
const POWER_TARGET_FIRMWARE: ReadonlySet<Firmware> = new Set(['whatsminer', 'luxos']);

/**
 * Built once per site: the miner list (addresses worked out from the site file's CIDRs) is
 * the same for every plan, replan and top-up of every event; only the live readings change.
 */
export class LiveShedState {
  private readonly miners: readonly MinerDevice[];

  constructor(
    private readonly site: SiteFile,
    private readonly live: LiveState,
    private readonly asics: ReadonlyMap<string, AsicModel>,
  ) {
    this.miners = minerDevices(site);
  }

  /** The planner's input now, without the devices in `exclude` (owned by events). */
  at(siteLoadW: number, exclude: ReadonlySet<string>): ShedState {
    const miners: MinerState[] = [];
    for (const d of this.miners) {
      if (exclude.has(d.id)) continue;
      const model = this.asics.get(d.model);
      if (!model) continue;
      const r = this.live.reading(d.id);
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
        firmware: d.firmware,
      });
    }
    return { siteLoadW, miners, gpuHosts: gpuHostStates(this.site, this.live, exclude), contracts: this.site.contracts };
  }
}

/**
 * GPU hosts with their GPUs' live board power summed (MIG slices are not counted twice). A host
 * serves its block's contract; a cap never goes under the contract's flexibility (shed-plan.ts)
 * and the agent refuses a per-GPU limit outside the GPU's own range.
 */
function gpuHostStates(site: SiteFile, live: LiveState, exclude: ReadonlySet<string>): GpuHostState[] {
  const out: GpuHostState[] = [];
  for (const h of site.gpuHosts) {
    if (exclude.has(h.id)) continue;
    const block = site.blocks.find((b) => b.id === h.blockId);
    let powerW = 0;
    let online = false;
    for (const r of live.readingsInBlock(h.blockId)) {
      if (r.kind !== 'gpu' || r.labels?.host !== h.host || r.labels.mig_parent !== undefined) continue;
      if (r.status !== 'online' || typeof r.metrics.power_w !== 'number') continue;
      online = true;
      powerW += r.metrics.power_w;
    }
    out.push({ id: h.id, blockId: h.blockId, ...(block?.contractId ? { contractId: block.contractId } : {}), online, powerW: online ? powerW : Number.NaN, minCapW: 0 });
  }
  return out;
}
