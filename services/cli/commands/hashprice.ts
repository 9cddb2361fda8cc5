import { InvalidArgumentError, type Command } from 'commander';
import {
  blockSubsidyBtc,
  blocksPerDayPerPhs,
  halvingEpoch,
  hashpriceBtcPerPhDay,
  HS_PER_EHS,
  networkHashrateHs,
} from '../../market/chain.ts';

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
    .requiredOption('--difficulty <D>', 'network difficulty, e.g. 156e12', number('--difficulty', { positive: true }))
    .requiredOption('--price <USD>', 'BTC price in USD', number('--price', {}))
    .requiredOption('--fees-per-block <BTC>', 'mean transaction fees per block, BTC', number('--fees-per-block', {}))
    .requiredOption('--height <H>', 'block height (sets the subsidy)', number('--height', { integer: true }))
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
function number(flag: string, rule: { positive?: boolean; integer?: boolean }): (raw: string) => number {
  return (raw) => {
    const v = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${flag} must be a number (156e12 notation is fine)`);
    if (v < 0 || (rule.positive && v === 0)) throw new InvalidArgumentError(`${flag} must be ${rule.positive ? '> 0' : '≥ 0'}`);
    if (rule.integer && !Number.isSafeInteger(v)) throw new InvalidArgumentError(`${flag} must be a whole number`);
    return v;
  };
}

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
