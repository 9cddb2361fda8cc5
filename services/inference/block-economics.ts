import { asicCatalog } from '../domain/catalog.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { ContextError } from '../lib/errors.ts';
import type { Accelerator } from './catalog.ts';
import { leaseRentUsdPerMwMonth, miningMarginUsdPerMwMonth, tokenCost, type TokenCost } from './token-economics.ts';

/**
 * One block's three uses of a megawatt side by side: cost per million tokens for every
 * accelerator in the catalog (at the block's power price), mining margin per MW and lease
 * rent per MW. Where an input is missing the figure is null with the reason, never 0.
 */
export interface BlockEconomicsOptions {
  powerPriceUsdPerMwh?: number;
  hashpriceUsdPerPhDay?: number;
  utilization?: number;
  depreciationYears?: number;
  opexPctOfCapexPerYear?: number;
}

export interface BlockEconomics {
  blockId: string;
  blockName: string;
  itMw: number;
  overheadFactor: number;
  powerPriceUsdPerMwh: number;
  powerPriceFrom: string;
  assumptions: { utilization: number; depreciationYears: number; opexPctOfCapexPerYear: number };
  tokens: TokenCost[];
  miningMarginUsdPerMwMonth: number | null;
  miningNote: string;
  leaseRentUsdPerMwMonth: number | null;
  leaseNote: string;
}

function powerPrice(site: SiteFile, opts: BlockEconomicsOptions): { price: number; from: string } {
  if (opts.powerPriceUsdPerMwh !== undefined) return { price: opts.powerPriceUsdPerMwh, from: 'given' };
  const ppa = site.dispatch?.ppa;
  if (ppa !== undefined) return { price: ppa.priceUsdPerMwh, from: 'site PPA' };
  const profile = site.dispatch?.priceProfileUsdPerMwh;
  if (profile !== undefined) return { price: profile.reduce((a, b) => a + b, 0) / profile.length, from: 'mean of the site price profile' };
  throw new ContextError('E_ECONOMICS_INPUT', `site ${site.site.id} has no PPA or price profile: give the power price (USD/MWh)`);
}

export function blockEconomics(site: SiteFile, blockId: string, catalog: ReadonlyMap<string, Accelerator>, opts: BlockEconomicsOptions = {}): BlockEconomics {
  const block = site.blocks.find((b) => b.id === blockId);
  if (block === undefined) throw new ContextError('E_ECONOMICS_INPUT', `no block "${blockId}" in site ${site.site.id} (blocks: ${site.blocks.map((b) => b.id).join(', ')})`);
  const { price, from } = powerPrice(site, opts);
  const overheadFactor = block.overheadFactor ?? 1.05;
  const itMw = block.capacityMw / overheadFactor;
  const assumptions = { utilization: opts.utilization ?? 0.7, depreciationYears: opts.depreciationYears ?? 5, opexPctOfCapexPerYear: opts.opexPctOfCapexPerYear ?? 4 };
  const tokens = [...catalog].map(([key, a]) => tokenCost(key, a, { itMw, overheadFactor, powerPriceUsdPerMwh: price, ...assumptions }));

  let mining: number | null = null;
  let miningNote: string;
  const hashprice = opts.hashpriceUsdPerPhDay ?? site.dispatch?.hashpriceUsdPerPhDay;
  const asics = asicCatalog();
  const groups = block.miners.length > 0 ? block.miners : site.blocks.flatMap((b) => b.miners);
  let hashThs = 0;
  let watts = 0;
  for (const g of groups) {
    const m = asics.get(g.model);
    if (m === undefined) continue;
    hashThs += m.hashrateThs * g.count;
    watts += m.powerW * g.count;
  }
  if (hashprice === undefined) miningNote = 'no hashprice given (site dispatch.hashpriceUsdPerPhDay or --hashprice)';
  else if (hashThs === 0) miningNote = 'no miners in the block or the site to take an efficiency from';
  else {
    const efficiency = watts / hashThs;
    mining = miningMarginUsdPerMwMonth({ hashpriceUsdPerPhDay: hashprice, efficiencyJPerTh: efficiency, poolFee: site.site.poolFee ?? 0.02, powerPriceUsdPerMwh: price, overheadFactor });
    miningNote = `${efficiency.toFixed(2)} J/TH fleet, hashprice ${hashprice} USD/PH/day, ${block.miners.length > 0 ? 'this block' : 'site'} miners`;
  }

  const colo = site.contracts.find((c) => c.id === block.contractId && c.kind === 'colocation') ?? site.contracts.find((c) => c.kind === 'colocation');
  const lease = colo?.kind === 'colocation' ? leaseRentUsdPerMwMonth(colo.rateUsdPerKwMonth) : null;
  const leaseNote = colo === undefined ? 'no colocation contract in the site' : `contract ${colo.id}, year-1 rate per MW of critical IT`;

  return { blockId, blockName: block.name, itMw, overheadFactor, powerPriceUsdPerMwh: price, powerPriceFrom: from, assumptions, tokens, miningMarginUsdPerMwMonth: mining, miningNote, leaseRentUsdPerMwMonth: lease, leaseNote };
}
