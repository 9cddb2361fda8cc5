import type { Command } from 'commander';
import {
  blockSubsidyBtc,
  blocksPerDayPerPhs,
  halvingEpoch,
  hashpriceBtcPerPhDay,
  HS_PER_EHS,
  networkHashrateHs,
} from '../../market/chain.ts';
import { numberOption } from '../args.ts';

interface HashpriceOptions {
  difficulty: number;
  price: number;
  feesPerBlock: number;
  height: number;
  json?: boolean;
}

/** What `switchyard hashprice` reports; units are in the key names. */
export interface HashpriceReport {
  difficulty: number;
  height: number;
  halvingEpoch: number;
  btcPriceUsd: number;
  subsidyBtc: number;
  feesPerBlockBtc: number;
  blocksPerDayPerPh: number;
  networkHashrateEhs: number;
  hashpriceBtcPerPhDay: number;
  hashpriceUsdPerPhDay: number;
}

export function hashpriceReport(o: HashpriceOptions): HashpriceReport {
  const subsidyBtc = blockSubsidyBtc(o.height);
  const btc = hashpriceBtcPerPhDay({ difficulty: o.difficulty, subsidyBtc, feesPerBlockBtc: o.feesPerBlock });
  return {
    difficulty: o.difficulty,
    height: o.height,
    halvingEpoch: halvingEpoch(o.height),
    btcPriceUsd: o.price,
    subsidyBtc,
    feesPerBlockBtc: o.feesPerBlock,
    blocksPerDayPerPh: blocksPerDayPerPhs(o.difficulty),
    networkHashrateEhs: networkHashrateHs(o.difficulty) / HS_PER_EHS,
    hashpriceBtcPerPhDay: btc,
    hashpriceUsdPerPhDay: btc * o.price,
  };
}

export function registerHashprice(program: Command): void {
  program
    .command('hashprice')
    .description('hashprice per PH/s per day from difficulty, BTC price, fees and block height')
    .requiredOption('--difficulty <D>', 'network difficulty, e.g. 156e12', numberOption('--difficulty', { positive: true }))
    .requiredOption('--price <USD>', 'BTC price in USD', numberOption('--price', {}))
    .requiredOption('--fees-per-block <BTC>', 'mean transaction fees per block, BTC', numberOption('--fees-per-block', {}))
    .requiredOption('--height <H>', 'block height (sets the subsidy)', numberOption('--height', { integer: true }))
    .option('--json', 'print one JSON object')
    .action((opts: HashpriceOptions) => {
      const r = hashpriceReport(opts);
      process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : formatReport(r));
    });
}

/**
 * Option parser: a finite number (156e12 notation allowed), ≥ 0, optionally > 0 or an integer.
 * Number() rather than parseFloat so trailing junk ("12abc") is rejected, not truncated.
 */
function formatReport(r: HashpriceReport): string {
  const rows: [string, string][] = [
    ['hashprice', `${r.hashpriceUsdPerPhDay.toFixed(2)} USD per PH/s per day`],
    ['', `${r.hashpriceBtcPerPhDay.toFixed(8)} BTC per PH/s per day`],
    ['subsidy', `${r.subsidyBtc} BTC (height ${r.height}, halving epoch ${r.halvingEpoch})`],
    ['fees', `${r.feesPerBlockBtc} BTC per block`],
    ['blocks/day', `${r.blocksPerDayPerPh.toPrecision(6)} per PH/s`],
    ['network', `${r.networkHashrateEhs.toFixed(1)} EH/s (difficulty ${r.difficulty.toExponential(3)})`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join('');
}
