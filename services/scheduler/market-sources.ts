import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SiteFile } from '../domain/site-schema.ts';
import { ContextError } from '../lib/errors.ts';
import { hashpriceAt, type ChainDay } from '../market/chain-history.ts';
import { loadChainHistory, loadPriceFile } from '../market/load.ts';
import type { PriceSeries } from '../market/price-series.ts';

/**
 * Where a plan's market data comes from: a price file (the CLI's --prices, else the site's
 * dispatch.pricesFile) at the site's settlement point, and hashprice given directly or read
 * from blockchain.com chart exports (files, or a folder of them).
 */

export interface MarketSourceOptions {
  site: SiteFile;
  sitePath: string;
  pricesPath?: string;
  settlementPoint?: string;
  settlementPointType?: string;
  hashpriceUsdPerPhDay?: number;
  chainPaths?: readonly string[];
  feesPerBlockBtc?: number;
}

export interface MarketSources {
  prices: PriceSeries | null;
  pricesPath: string | null;
  chain: ChainDay[] | null;
  hashprice: number | ((timeMs: number) => number);
  hashpriceSource: string;
}

export async function loadMarketSources(o: MarketSourceOptions): Promise<MarketSources> {
  const settings = o.site.dispatch;
  const pricesPath = o.pricesPath ?? (settings?.pricesFile ? resolve(dirname(o.sitePath), settings.pricesFile) : null);
  const prices = pricesPath
    ? await loadPriceFile(pricesPath, {
        settlementPoint: o.settlementPoint ?? o.site.site.market.settlementPoint,
        ...(o.settlementPointType ? { settlementPointType: o.settlementPointType } : {}),
      })
    : null;
  if (o.hashpriceUsdPerPhDay !== undefined && o.chainPaths?.length) throw new ContextError('E_ARGS', 'give --hashprice or --chain, not both');
  if (o.chainPaths?.length) {
    const chain = await loadChainHistory(expandChartPaths(o.chainPaths), o.feesPerBlockBtc !== undefined ? { feesPerBlockBtc: o.feesPerBlockBtc } : {});
    return { prices, pricesPath, chain, hashprice: (ms) => hashpriceAt(chain, ms), hashpriceSource: `chain history (${o.chainPaths.join(', ')})` };
  }
  const fixed = o.hashpriceUsdPerPhDay ?? settings?.hashpriceUsdPerPhDay;
  if (fixed === undefined) throw new ContextError('E_ARGS', 'no hashprice: give --hashprice N, --chain FILES, or dispatch.hashpriceUsdPerPhDay in the site file');
  return { prices, pricesPath, chain: null, hashprice: fixed, hashpriceSource: o.hashpriceUsdPerPhDay !== undefined ? 'given' : 'site file' };
}

/** A folder stands for the chart exports in it (.csv, .json). */
export function expandChartPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) {
      out.push(...readdirSync(p).filter((f) => /\.(csv|json)$/i.test(f)).sort().map((f) => join(p, f)));
    } else out.push(p);
  }
  return out;
}
