import { InvalidArgumentError, type Command } from 'commander';
import { loadSiteFile } from '../../domain/load-site.ts';
import { ContextError } from '../../lib/errors.ts';
import { runBacktest, type BacktestMeta, type BacktestResult } from '../../scheduler/backtest/backtest.ts';
import { loadMarketSources } from '../../scheduler/market-sources.ts';
import { numberOption } from '../args.ts';

interface BacktestOptions {
  site: string;
  prices: string;
  chain: string[];
  settlementPoint?: string;
  settlementPointType?: string;
  feesPerBlock?: number;
  information?: 'day-ahead' | 'real-time';
  strikeAfter: number;
  resumeAfter: number;
  hours?: number;
  json?: boolean;
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('replay price history: the scheduler against always mining, a strike-price rule and perfect foresight')
    .requiredOption('--site <FILE>', 'site file (YAML)')
    .requiredOption('--prices <FILE>', 'price history: an ERCOT posting or timestamp,price_usd_per_mwh CSV')
    .requiredOption('--chain <FILES...>', 'blockchain.com chart exports (or a folder of them) for hashprice by day')
    .option('--settlement-point <NAME>', "settlement point (default: the site's market.settlementPoint)")
    .option('--settlement-point-type <TYPE>', 'ERCOT settlement point type where a name has several')
    .option('--fees-per-block <BTC>', 'mean fees per block when the charts have none', numberOption('--fees-per-block'))
    .option('--information <KIND>', 'what the scheduler knows: day-ahead (DAM postings) or real-time (default: by the file)', (v: string) => {
      if (v !== 'day-ahead' && v !== 'real-time') throw new InvalidArgumentError('--information must be day-ahead or real-time');
      return v;
    })
    .option('--strike-after <N>', 'strike rule: curtail after N intervals above breakeven', numberOption('--strike-after', { positive: true, integer: true }), 1)
    .option('--resume-after <M>', 'strike rule: resume after M intervals at or below breakeven', numberOption('--resume-after', { positive: true, integer: true }), 1)
    .option('--hours <N>', "scheduler's horizon, hours (default: the site's dispatch.horizonHours)", numberOption('--hours', { positive: true }))
    .option('--json', 'print one JSON object keyed by strategy')
    .action(async (o: BacktestOptions) => {
      const site = loadSiteFile(o.site);
      const market = await loadMarketSources({
        site,
        sitePath: o.site,
        pricesPath: o.prices,
        chainPaths: o.chain,
        ...(o.settlementPoint ? { settlementPoint: o.settlementPoint } : {}),
        ...(o.settlementPointType ? { settlementPointType: o.settlementPointType } : {}),
        ...(o.feesPerBlock !== undefined ? { feesPerBlockBtc: o.feesPerBlock } : {}),
      });
      if (!market.prices || !market.chain) throw new ContextError('E_ARGS', 'a backtest needs --prices and --chain');
      const { result, meta } = await runBacktest({
        site,
        prices: market.prices,
        chain: market.chain,
        strike: { curtailAfter: o.strikeAfter, resumeAfter: o.resumeAfter },
        ...(o.information ? { information: o.information } : {}),
        ...(o.hours !== undefined ? { horizonHours: o.hours } : {}),
      });
      if (o.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        process.stderr.write(`${metaLine(meta)}\n`);
        return;
      }
      process.stdout.write(backtestText(result, meta) + '\n');
    });
}

function metaLine(m: BacktestMeta): string {
  const d = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return `backtest ${d(m.startMs)} → ${d(m.endMs)} UTC at ${m.settlementPoint}, ${m.intervals} × ${m.intervalMinutes} min; scheduler: ${m.information} information, ${m.horizonIntervals}-interval horizon, ${m.schedulerDecisions} decisions (${(m.schedulerSolveMs / 1000).toFixed(1)} s solving); strike rule N=${m.strike.curtailAfter}, M=${m.strike.resumeAfter}; ${feesLine(m)}`;
}

/** Fees per block are data or a stated assumption, never a silent zero. */
function feesLine(m: BacktestMeta): string {
  const f = m.fees;
  if (f.assumedDays === 0) return `fees per block: chain data (${f.chainDays} days)`;
  return `fees per block: chain data ${f.chainDays} days, ASSUMED ${f.assumedFeesPerBlockBtc} BTC/block on ${f.assumedDays} days (no transaction-fees chart covers them; set --fees-per-block)`;
}

export function backtestText(r: BacktestResult, m: BacktestMeta): string {
  const usd = (x: number) => `$${Math.round(x).toLocaleString('en-US')}`.padStart(14);
  const lines = [metaLine(m), 'strategy            margin        captured  energy cost    curtailed MWh  restarts  violations'];
  for (const [name, s] of Object.entries(r)) {
    lines.push(`${name.padEnd(18)} ${usd(s.marginUsd)}  ${s.capturedRatio === null ? '     n/a' : s.capturedRatio.toFixed(3).padStart(8)}  ${usd(s.energyCostUsd)}  ${s.curtailedMwh.toFixed(0).padStart(13)}  ${String(s.restarts).padStart(8)}  ${String(s.violations.length).padStart(10)}`);
  }
  lines.push('captured = (margin − alwaysMine) / (perfectForesight − alwaysMine): the share of the value of flexibility taken');
  return lines.join('\n');
}
