import type { BlockState, SiteFile } from '../domain/site-schema.ts';
import { summarizeSite, type BlockSummary, type SiteSummary } from '../domain/site.ts';
import { BLOCK_STATES, type LiveState } from '../telemetry/live-state.ts';
import type { SiteView } from './schemas.ts';

/** GET /api/site and the /api/live websocket: the live state next to the nominal figures. */

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

  constructor(site: SiteFile, live: LiveState) {
    this.site = site;
    this.live = live;
    this.summary = summarizeSite(site);
    this.capacityByStateMw = Object.fromEntries(BLOCK_STATES.map((s) => [s, 0])) as Record<BlockState, number>;
    for (const b of site.blocks) this.capacityByStateMw[b.state] += b.capacityMw;
  }

  view(nowMs = Date.now()): SiteView {
    const snap = this.live.snapshot();
    const powerByStateMw = Object.fromEntries(
      BLOCK_STATES.map((s) => [s, toMw(snap.powerByStateW[s])]),
    ) as Record<BlockState, number | null>;
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
      blocks: snap.blocks.map((b, i) => ({
        ...b,
        powerMw: toMw(b.powerW),
        nominal: nominal(this.summary.blocks[i]!),
      })),
    };
  }
}
