import { readFile } from 'node:fs/promises';
import { ContextError, wrap } from '../lib/errors.ts';
import { parseBlockchainChart, type ChartSeries } from './blockchain-com.ts';
import { buildChainHistory, type ChainDay, type ChainHistoryInputs } from './chain-history.ts';
import { peekHeader } from './csv.ts';
import { parseErcotPrices } from './ercot.ts';
import { detectErcotLayout, ERCOT_FORMATS } from './ercot-formats.ts';
import { MarketFileError } from './file-error.ts';
import { parsePriceCsv, PRICE_CSV_COLUMNS } from './price-csv.ts';
import type { PriceSeries } from './price-series.ts';

/**
 * The only file I/O of services/market: read a file, pick the parser by its header, and leave
 * everything else to the pure parsers (which name the file and row in their errors).
 */

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw wrap(`reading ${what} ${path}`, err, 'E_MARKET_FILE');
  }
}

export interface LoadPriceOptions {
  settlementPoint?: string;
  /** ERCOT RTM postings only, where a name has several types. */
  settlementPointType?: string;
  /** Custom `timestamp,price_usd_per_mwh` files only; inferred when left out. */
  intervalMinutes?: number;
}

/** An ERCOT posting (DAM extract, NP4-190, NP6-905) or a `timestamp,price_usd_per_mwh` CSV. */
export async function loadPriceFile(path: string, opts: LoadPriceOptions = {}): Promise<PriceSeries> {
  const text = await readText(path, 'price file');
  // detectErcotLayout throws (row 1, missing columns) for a header close to an ERCOT one.
  if (detectErcotLayout(peekHeader(text), path)) {
    if (opts.intervalMinutes !== undefined) throw new ContextError('E_MARKET_FILE', `${path}: intervalMinutes is fixed by the ERCOT format; leave it out`);
    return parseErcotPrices(text, { source: path, settlementPoint: opts.settlementPoint, settlementPointType: opts.settlementPointType });
  }
  const header = peekHeader(text).map((h) => h.toLowerCase());
  if (!PRICE_CSV_COLUMNS.every((c) => header.includes(c))) {
    const ercot = ERCOT_FORMATS.map((f) => Object.values(f.columns).join(',')).join(' | ');
    throw new MarketFileError(path, 1, `header "${peekHeader(text).join(',')}" is neither an ERCOT posting (${ercot}) nor a price CSV (${PRICE_CSV_COLUMNS.join(',')})`);
  }
  if (opts.settlementPointType !== undefined) throw new ContextError('E_MARKET_FILE', `${path}: settlementPointType applies to ERCOT postings only`);
  return parsePriceCsv(text, { source: path, settlementPoint: opts.settlementPoint, intervalMinutes: opts.intervalMinutes });
}

const SLOTS: Readonly<Record<string, keyof ChainHistoryInputs>> = {
  'market-price': 'marketPrice',
  difficulty: 'difficulty',
  'hash-rate': 'hashRate',
  'miners-revenue': 'minersRevenue',
  'transaction-fees': 'transactionFees',
};

/** blockchain.com chart exports (one metric each, told by the header) → daily chain history. */
export async function loadChainHistory(paths: readonly string[], opts: { feesPerBlockBtc?: number } = {}): Promise<ChainDay[]> {
  const series: Partial<Record<keyof ChainHistoryInputs, { path: string; series: ChartSeries }>> = {};
  for (const path of paths) {
    const chart = parseBlockchainChart(await readText(path, 'chart file'), { source: path });
    const slot = SLOTS[chart.metric];
    if (!slot) throw new ContextError('E_CHAIN_HISTORY', `${path}: a ${chart.metric} chart is not used for chain history (use: ${Object.keys(SLOTS).join(', ')})`);
    const seen = series[slot];
    if (seen) throw new ContextError('E_CHAIN_HISTORY', `${path} and ${seen.path} are both ${chart.metric} charts; pass one`);
    series[slot] = { path, series: chart };
  }
  const marketPrice = series.marketPrice?.series;
  if (!marketPrice) throw new ContextError('E_CHAIN_HISTORY', `no market-price chart among ${paths.join(', ') || 'no files'}`);
  return buildChainHistory({
    marketPrice,
    difficulty: series.difficulty?.series,
    hashRate: series.hashRate?.series,
    minersRevenue: series.minersRevenue?.series,
    transactionFees: series.transactionFees?.series,
    feesPerBlockBtc: opts.feesPerBlockBtc,
  });
}
