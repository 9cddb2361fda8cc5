import type { Block, SiteFile } from '../domain/site-schema.ts';
import { defaultCatalogs, gpuShareOfSystemPowerW, type Catalogs } from '../domain/site.ts';

/**
 * The load an AI contract actually draws, for every model that prices its power (dispatch,
 * allocation, the forward model): GPUs × system power per GPU × the group's utilisation, not
 * nameplate. A group with no stated utilisation draws full power. Live telemetry replaces this
 * where it is measured (the ledger uses the metered energy).
 */

/** IT load of an AI block, MW. Throws when a GPU model is not in the catalog. */
export function aiLoadItMw(block: Block, catalogs: Catalogs = defaultCatalogs()): number {
  let w = 0;
  for (const g of block.gpus) {
    const model = catalogs.gpus.get(g.model);
    if (!model) throw new RangeError(`block ${block.id}: GPU model ${g.model} is not in the catalog`);
    w += g.count * gpuShareOfSystemPowerW(model) * (g.utilization ?? 1);
  }
  return w / 1e6;
}

/** Gross MW (IT × overhead) of the AI blocks serving contract `contractId`. */
export function contractGrossMw(site: SiteFile, contractId: string, catalogs: Catalogs = defaultCatalogs()): number {
  return site.blocks.filter((b) => b.contractId === contractId && b.state === 'ai').reduce((s, b) => s + aiLoadItMw(b, catalogs) * b.overheadFactor, 0);
}
