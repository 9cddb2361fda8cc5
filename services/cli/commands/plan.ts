import { InvalidArgumentError, type Command } from 'commander';
import { loadSiteFile } from '../../domain/load-site.ts';
import { loadMarketSources } from '../../scheduler/market-sources.ts';
import { explainAt, planText, solveSiteInput } from '../../scheduler/plan-report.ts';
import { siteDispatchInput } from '../../scheduler/site-input.ts';
import { feesUsed } from '../../scheduler/backtest/backtest.ts';
import { numberOption } from '../args.ts';

interface PlanOptions {
  site: string;
  prices?: string;
  settlementPoint?: string;
  settlementPointType?: string;
  hashprice?: number;
  chain?: string[];
  feesPerBlock?: number;
  start?: number;
  hours?: number;
  timeLimit: number;
  explain?: string[];
  json?: boolean;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('optimal dispatch plan: per block and interval, mine, serve AI, or curtail')
    .requiredOption('--site <FILE>', 'site file (YAML)')
    .option('--prices <FILE>', "price file: an ERCOT posting or timestamp,price_usd_per_mwh CSV (default: the site's dispatch.pricesFile)")
    .option('--settlement-point <NAME>', "settlement point in the price file (default: the site's market.settlementPoint)")
    .option('--settlement-point-type <TYPE>', 'ERCOT settlement point type where a name has several (HU, LZ, RN, …)')
    .option('--hashprice <USD>', 'hashprice, USD per PH/s per day', numberOption('--hashprice'))
    .option('--chain <FILES...>', 'blockchain.com chart exports (or a folder of them) for hashprice by day')
    .option('--fees-per-block <BTC>', 'mean fees per block when the charts have none', numberOption('--fees-per-block'))
    .option('--start <ISO>', 'plan start (default: the first price)', instantArg)
    .option('--hours <N>', "horizon in hours (default: the site's dispatch.horizonHours)", numberOption('--hours', { positive: true }))
    .option('--time-limit <S>', 'solver time limit, seconds', numberOption('--time-limit', { positive: true }), 60)
    .option('--explain <BLOCK@ISO...>', 'explain a decision, e.g. B3@2021-02-15T14:05Z')
    .option('--json', 'print one JSON object')
    .action(async (o: PlanOptions) => {
      const site = loadSiteFile(o.site);
      const market = await loadMarketSources({
        site,
        sitePath: o.site,
        ...(o.prices ? { pricesPath: o.prices } : {}),
        ...(o.settlementPoint ? { settlementPoint: o.settlementPoint } : {}),
        ...(o.settlementPointType ? { settlementPointType: o.settlementPointType } : {}),
        ...(o.hashprice !== undefined ? { hashpriceUsdPerPhDay: o.hashprice } : {}),
        ...(o.chain ? { chainPaths: o.chain } : {}),
        ...(o.feesPerBlock !== undefined ? { feesPerBlockBtc: o.feesPerBlock } : {}),
      });
      const built = siteDispatchInput(site, {
        prices: market.prices?.intervals ?? [],
        hashprice: market.hashprice,
        ...(o.start !== undefined ? { startMs: o.start } : {}),
        ...(o.hours !== undefined ? { horizonHours: o.hours } : {}),
      });
      const { plan, report } = await solveSiteInput(built, { timeLimitS: o.timeLimit });
      const explanations = (o.explain ?? []).map((spec) => {
        const m = /^([^@]+)@(.+)$/.exec(spec);
        if (!m) throw new InvalidArgumentError(`--explain "${spec}": expected BLOCK@ISO-TIME, e.g. B3@2021-02-15T14:05Z`);
        return explainAt(built.input, plan, m[1]!, instantArg(m[2]!));
      });
      // Fees per block are chain data or a stated assumption, never a silent zero.
      const iv = built.input.intervals;
      const fees = market.chain && iv.length > 0 ? feesUsed(market.chain, iv[0]!.startMs, iv[iv.length - 1]!.startMs + built.input.intervalMinutes * 60_000) : null;
      if (o.json) {
        process.stdout.write(JSON.stringify({ ...report, hashpriceSource: market.hashpriceSource, ...(fees ? { fees } : {}), explanations }) + '\n');
        return;
      }
      process.stdout.write(planText(report) + '\n');
      if (fees) process.stdout.write(fees.assumedDays === 0 ? `fees per block: chain data (${fees.chainDays} days)\n` : `fees per block: chain data ${fees.chainDays} days, ASSUMED ${fees.assumedFeesPerBlockBtc} BTC/block on ${fees.assumedDays} days (no transaction-fees chart covers them; set --fees-per-block)\n`);
      for (const e of explanations) process.stdout.write(`why: ${e.text}\n`);
    });
}

function instantArg(v: string): number {
  const ms = Date.parse(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(v) ? `${v}Z` : v);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`"${v}" is not an ISO time (e.g. 2021-02-15T14:05Z)`);
  return ms;
}
