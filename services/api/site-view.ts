import type { BlockState, SiteFile } from '../domain/site-schema.ts';
import { summarizeSite, type BlockSummary, type SiteSummary } from '../domain/site.ts';
import { BLOCK_STATES, type LiveState } from '../telemetry/live-state.ts';
import { curtailmentInForce, NONE_IN_FORCE, type CurtailmentInForce, type CurtailmentReads } from './curtailment-view.ts';
import type { SiteView } from './schemas.ts';

/**
 * GET /api/site and the /api/live websocket: the live state next to the nominal figures, and
 * curtailment in force (which event holds which block's devices off), so a block whose miners
 * are asleep for an event reads `curtailed`, not `mining`, and its draw is in the curtailed band.
 */

const toMw = (w: number | null): number | null => (w === null ? null : Math.round(w / 1e3) / 1e3);

function nominal(s: BlockSummary | SiteSummary): SiteView['blocks'][number]['nominal'] {
  return {
    itPowerW: s.itPowerW,
    grossPowerW: s.grossPowerW,
    hashrateHs: s.hashrateHs,
    minerCount: s.minerCount,
    gpuCount: s.gpuCount,
    efficiencyJPerTh: s.efficiencyJPerTh,
  };
}

export class SiteViewer {
  private readonly summary: SiteSummary;
  private readonly live: LiveState;
  private readonly site: SiteFile;
  private readonly capacityByStateMw: Record<BlockState, number>;
  private readonly curtailment: CurtailmentReads | null;
  private inForceCache: { second: number; value: CurtailmentInForce; heldW: Map<string, number> } | null = null;

  constructor(site: SiteFile, live: LiveState, curtailment: CurtailmentReads | null = null) {
    this.site = site;
    this.live = live;
    this.curtailment = curtailment;
    // The history's per-state sums follow what blocks do now, so the chart's curtailed band
    // is there after a reload too (whole blocks; the live view also splits part-held ones).
    if (curtailment) live.setStateNow((blockId) => (this.wholeBlocksHeld(Date.now()).has(blockId) ? 'curtailed' : undefined));
    this.summary = summarizeSite(site);
    this.capacityByStateMw = Object.fromEntries(BLOCK_STATES.map((s) => [s, 0])) as Record<BlockState, number>;
    for (const b of site.blocks) this.capacityByStateMw[b.state] += b.capacityMw;
  }

  /** Curtailment in force, read from the engine at most once a second. */
  inForce(nowMs = Date.now()): CurtailmentInForce {
    return this.inForceNow(nowMs).value;
  }

  private inForceNow(nowMs: number): { value: CurtailmentInForce; heldW: Map<string, number> } {
    if (!this.curtailment) return { value: NONE_IN_FORCE, heldW: new Map() };
    const second = Math.floor(nowMs / 1000);
    if (this.inForceCache?.second === second) return this.inForceCache;
    const value = curtailmentInForce(this.curtailment);
    this.inForceCache = { second, value, heldW: this.heldPowerByBlockW(value) };
    return this.inForceCache;
  }

  /** Mining blocks whose every miner an event holds off now. */
  private wholeBlocksHeld(nowMs: number): ReadonlySet<string> {
    const { value } = this.inForceNow(nowMs);
    const out = new Set<string>();
    this.site.blocks.forEach((b, i) => {
      const held = (value.byBlock.get(b.id) ?? []).reduce((n, c) => n + c.devicesHeld, 0);
      const miners = this.summary.blocks[i]!.minerCount;
      if (b.state === 'mining' && miners > 0 && held >= miners) out.add(b.id);
    });
    return out;
  }

  view(nowMs = Date.now()): SiteView {
    const snap = this.live.snapshot();
    const { value: inForce, heldW } = this.inForceNow(nowMs);
    const wholeHeld = this.wholeBlocksHeld(nowMs);
    const byStateW = Object.fromEntries(BLOCK_STATES.map((s) => [s, null])) as Record<BlockState, number | null>;
    const add = (state: BlockState, w: number) => (byStateW[state] = (byStateW[state] ?? 0) + w);
    const blocks = snap.blocks.map((b, i) => {
      const nominalBlock = nominal(this.summary.blocks[i]!);
      const curtailment = inForce.byBlock.get(b.id) ?? [];
      // Every miner of a mining block held off: the block is curtailed. A part held off stays
      // in its state, with its held devices' draw in the curtailed band.
      const whole = wholeHeld.has(b.id);
      const stateNow: BlockState = whole ? 'curtailed' : b.state;
      if (b.powerW !== null) {
        const curtailedW = whole ? b.powerW : Math.min(b.powerW, heldW.get(b.id) ?? 0);
        if (curtailedW > 0 || whole) add('curtailed', curtailedW);
        if (!whole) add(b.state, b.powerW - curtailedW);
      }
      return { ...b, powerMw: toMw(b.powerW), nominal: nominalBlock, stateNow, curtailment };
    });
    const powerByStateMw = Object.fromEntries(BLOCK_STATES.map((s) => [s, toMw(byStateW[s])])) as Record<BlockState, number | null>;
    return {
      site: {
        id: this.site.site.id,
        name: this.site.site.name,
        timezone: this.site.site.timezone,
        importLimitMw: this.site.site.importLimitMw,
      },
      generatedAtMs: nowMs,
      version: snap.version,
      totals: {
        powerW: snap.powerW,
        powerMw: toMw(snap.powerW),
        powerSource: snap.powerSource,
        hashrateHs: snap.hashrateHs,
        capacityMw: this.site.blocks.reduce((n, b) => n + b.capacityMw, 0),
        nominal: nominal(this.summary),
        powerByStateMw,
        capacityByStateMw: this.capacityByStateMw,
        miners: snap.miners,
        devices: snap.devices,
        lastReadingAtMs: snap.lastReadingAtMs,
      },
      blocks,
      curtailment: { inForce: inForce.events.length > 0, events: inForce.events },
    };
  }

  /** Live draw of the devices held off, per block (online readings only: offline is no zero). */
  private heldPowerByBlockW(inForce: CurtailmentInForce): Map<string, number> {
    const out = new Map<string, number>();
    for (const [deviceId, blockId] of inForce.heldDevices) {
      const r = this.live.reading(deviceId);
      const w = r?.status === 'online' ? r.metrics.power_w : undefined;
      if (typeof w === 'number' && Number.isFinite(w)) out.set(blockId, (out.get(blockId) ?? 0) + w);
    }
    return out;
  }
}
