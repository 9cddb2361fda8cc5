import { asicCatalog, gpuCatalog, type AsicModel, type GpuModel } from './catalog.ts';
import type { Block, BlockState, SiteFile } from './site-schema.ts';

/**
 * Derived, pure views of a validated SiteFile: what each block and the site hold at nominal
 * (spec-sheet) figures. Base units: W, H/s. Live readings come from telemetry, not from here.
 */

export interface Catalogs {
  asics: ReadonlyMap<string, AsicModel>;
  gpus: ReadonlyMap<string, GpuModel>;
}

export function defaultCatalogs(): Catalogs {
  return { asics: asicCatalog(), gpus: gpuCatalog() };
}

const W_PER_MW = 1e6;
const HS_PER_THS = 1e12;

export interface BlockSummary {
  id: string;
  name: string;
  state: BlockState;
  contractId: string | undefined;
  /** Gross capacity at the block's meter, W. */
  capacityW: number;
  overheadFactor: number;
  /** IT power the block can host: capacity / overhead, W. For an AI block this is critical IT. */
  criticalItW: number;
  /** Nominal IT draw of the installed devices, W (miners + GPU systems). */
  itPowerW: number;
  minerPowerW: number;
  /** GPU systems' share of system power (host CPUs, NICs, fans included), W. */
  gpuPowerW: number;
  /** itPowerW × overhead: what the devices draw at the meter, W. */
  grossPowerW: number;
  /** Draw with every miner asleep (control boards only), W. */
  minerSleepPowerW: number;
  hashrateHs: number;
  minerCount: number;
  gpuCount: number;
  /** Power-weighted miner efficiency, J/TH; null when the block has no miners. */
  efficiencyJPerTh: number | null;
}

export interface SiteSummary {
  siteId: string;
  importLimitW: number;
  /** Sum of block capacities, W (may exceed the import limit: blocks are not all on at once). */
  capacityW: number;
  itPowerW: number;
  grossPowerW: number;
  hashrateHs: number;
  minerCount: number;
  gpuCount: number;
  efficiencyJPerTh: number | null;
  /** Critical IT capacity of blocks in state ai, W. */
  aiCriticalItW: number;
  /** Gross capacity of blocks in state ai, W. */
  aiCapacityW: number;
  /** Nominal miner power in blocks in state mining, W. */
  miningPowerW: number;
  blocks: BlockSummary[];
}

/** Per-GPU share of its system's power: systemPowerW / gpusPerSystem. */
export function gpuShareOfSystemPowerW(model: GpuModel): number {
  return model.systemPowerW / model.gpusPerSystem;
}

/** Nominal figures for one block. Throws if a model is not in the catalogs (validate first). */
export function summarizeBlock(block: Block, catalogs: Catalogs = defaultCatalogs()): BlockSummary {
  let minerPowerW = 0;
  let minerSleepPowerW = 0;
  let hashrateThs = 0;
  let minerCount = 0;
  for (const g of block.miners) {
    const m = need(catalogs.asics, g.model, 'ASIC', block.id);
    minerPowerW += g.count * m.powerW;
    minerSleepPowerW += g.count * m.sleepPowerW;
    hashrateThs += g.count * m.hashrateThs;
    minerCount += g.count;
  }
  let gpuPowerW = 0;
  let gpuCount = 0;
  for (const g of block.gpus) {
    gpuPowerW += g.count * gpuShareOfSystemPowerW(need(catalogs.gpus, g.model, 'GPU', block.id));
    gpuCount += g.count;
  }
  const itPowerW = minerPowerW + gpuPowerW;
  const capacityW = block.capacityMw * W_PER_MW;
  return {
    id: block.id,
    name: block.name,
    state: block.state,
    contractId: block.contractId,
    capacityW,
    overheadFactor: block.overheadFactor,
    criticalItW: capacityW / block.overheadFactor,
    itPowerW,
    minerPowerW,
    gpuPowerW,
    grossPowerW: itPowerW * block.overheadFactor,
    minerSleepPowerW,
    hashrateHs: hashrateThs * HS_PER_THS,
    minerCount,
    gpuCount,
    efficiencyJPerTh: hashrateThs > 0 ? minerPowerW / hashrateThs : null,
  };
}

/** Nominal figures for every block and the site totals. */
export function summarizeSite(site: SiteFile, catalogs: Catalogs = defaultCatalogs()): SiteSummary {
  const blocks = site.blocks.map((b) => summarizeBlock(b, catalogs));
  const sum = (f: (b: BlockSummary) => number, only?: (b: BlockSummary) => boolean) =>
    blocks.filter(only ?? (() => true)).reduce((s, b) => s + f(b), 0);
  const minerPowerW = sum((b) => b.minerPowerW);
  const hashrateHs = sum((b) => b.hashrateHs);
  const isAi = (b: BlockSummary) => b.state === 'ai';
  return {
    siteId: site.site.id,
    importLimitW: site.site.importLimitMw * W_PER_MW,
    capacityW: sum((b) => b.capacityW),
    itPowerW: sum((b) => b.itPowerW),
    grossPowerW: sum((b) => b.grossPowerW),
    hashrateHs,
    minerCount: sum((b) => b.minerCount),
    gpuCount: sum((b) => b.gpuCount),
    efficiencyJPerTh: hashrateHs > 0 ? minerPowerW / (hashrateHs / HS_PER_THS) : null,
    aiCriticalItW: sum((b) => b.criticalItW, isAi),
    aiCapacityW: sum((b) => b.capacityW, isAi),
    miningPowerW: sum((b) => b.minerPowerW, (b) => b.state === 'mining'),
    blocks,
  };
}

function need<T>(catalog: ReadonlyMap<string, T>, id: string, kind: string, blockId: string): T {
  const m = catalog.get(id);
  if (!m) throw new RangeError(`block ${blockId}: ${kind} model "${id}" is not in the catalog`);
  return m;
}
