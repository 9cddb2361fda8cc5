import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSiteFile } from '../../domain/load-site.ts';
import { debtExposure } from '../../finance/exposure.ts';
import { LedgerService } from '../../finance/ledger-service.ts';
import { LedgerStore, type GroupBy } from '../../finance/ledger-store.ts';
import { loadCompanyFile } from '../../finance/load-company.ts';
import { dayRange, dayStart, debtCsv, debtReport, marginsCsv, marginsReport, type DebtReport } from '../../finance/report.ts';
import { ContextError } from '../../lib/errors.ts';
import { logger, logToStderr } from '../../lib/log.ts';
import { feesUsed } from '../../scheduler/backtest/backtest.ts';
import { loadMarketSources } from '../../scheduler/market-sources.ts';
import { openStore } from '../../store/sqlite.ts';
import { createHistory } from '../../telemetry/index.ts';
import { numberOption } from '../args.ts';

/**
 * `switchyard finance debt|margins` and `switchyard ledger`: the finance side from files and the
 * data dir. With --json or --csv, stdout carries only the data (logs go to stderr).
 */

const dataDirOf = (o: { dataDir?: string }) => resolve(o.dataDir ?? process.env.SWITCHYARD_DATA_DIR ?? 'data');

export function registerFinance(program: Command): void {
  const finance = program.command('finance').description('margins per MW and debt exposure');

  finance
    .command('debt')
    .description('maturities ladder, debt service, forward DSCR, covenants with the BTC price and hashprice at which each breaks, BTC loans, convertibles')
    .requiredOption('--company <FILE>', 'company YAML (site files, debt book, corporate costs, outlook)')
    .option('--json', 'print one JSON object')
    .option('--csv', 'print the debt service schedule as CSV')
    .option('--as-of <DATE>', 'model start (YYYY-MM-DD; default today)')
    .option('--data-dir <DIR>', 'read the realised ledger there for the trailing DSCR (default: none)')
    .action((o: { company: string; json?: boolean; csv?: boolean; asOf?: string; dataDir?: string }) => {
      if (o.json || o.csv) logToStderr();
      const company = loadCompanyFile(o.company);
      const nowMs = o.asOf ? dayStart(o.asOf, '--as-of') : Date.now();
      let realised: { days: number; marginUsd: number } | undefined;
      if (o.dataDir) {
        const store = openStore({ dataDir: resolve(o.dataDir) });
        try {
          realised = new LedgerStore(store.db).realised(nowMs - 365 * 86_400_000, Math.floor(nowMs / 86_400_000) * 86_400_000);
        } finally {
          store.close();
        }
      }
      const r = debtReport(debtExposure(company, { nowMs, ...(realised ? { realised } : {}) }));
      if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (o.csv) process.stdout.write(debtCsv(r));
      else process.stdout.write(debtText(r));
    });

  finance
    .command('margins')
    .description('realised margins from the ledger (run `switchyard ledger` to backfill days)')
    .requiredOption('--from <DATE>', 'first day (YYYY-MM-DD)')
    .requiredOption('--to <DATE>', 'day after the last (YYYY-MM-DD)')
    .option('--group-by <KEY>', 'block | contract | day | hour (today, provisional)', 'block')
    .option('--data-dir <DIR>', 'data directory (default SWITCHYARD_DATA_DIR or ./data)')
    .option('--json', 'print one JSON object')
    .option('--csv', 'print CSV')
    .action((o: { from: string; to: string; groupBy: string; dataDir?: string; json?: boolean; csv?: boolean }) => {
      if (o.json || o.csv) logToStderr();
      if (!['block', 'contract', 'day', 'hour'].includes(o.groupBy)) throw new ContextError('E_ARGS', `--group-by must be block, contract, day or hour, got "${o.groupBy}"`);
      const { fromMs, toMs } = dayRange(o.from, o.to);
      const store = openStore({ dataDir: dataDirOf(o) });
      try {
        const groupBy = o.groupBy as GroupBy;
        const r = marginsReport(fromMs, toMs, groupBy, new LedgerStore(store.db).margins(fromMs, toMs, groupBy));
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (o.csv) process.stdout.write(marginsCsv(r));
        else process.stdout.write(marginsText(r));
      } finally {
        store.close();
      }
    });

  program
    .command('ledger')
    .description('recompute the realised margin ledger for past days from the telemetry history (backfill)')
    .requiredOption('--from <DATE>', 'first day (YYYY-MM-DD)')
    .requiredOption('--to <DATE>', 'day after the last (YYYY-MM-DD)')
    .requiredOption('--site <FILE>', 'site YAML')
    .option('--data-dir <DIR>', 'data directory with the history (default SWITCHYARD_DATA_DIR or ./data)')
    .option('--prices <FILE>', 'price history (default: the site file\'s pricesFile or hour-of-day profile)')
    .option('--chain <FILES...>', 'blockchain.com chart exports for hashprice and BTC price by day')
    .option('--btc-price <USD>', 'BTC price for days the chain history does not cover (stated assumption)', numberOption('--btc-price', { positive: true }))
    .action(async (o: { from: string; to: string; site: string; dataDir?: string; prices?: string; chain?: string[]; btcPrice?: number }) => {
      logToStderr();
      const { fromMs, toMs } = dayRange(o.from, o.to);
      const site = loadSiteFile(o.site);
      const market = await loadMarketSources({ site, sitePath: o.site, ...(o.prices ? { pricesPath: o.prices } : {}), ...(o.chain ? { chainPaths: o.chain } : {}) });
      const dataDir = dataDirOf(o);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const store = openStore({ dataDir });
      const history = createHistory({ dataDir });
      try {
        const svc = new LedgerService({ site, db: store.db, history, market, log: logger('ledger'), ...(o.btcPrice !== undefined ? { btcPriceUsd: o.btcPrice } : {}) });
        const n = await svc.backfill(fromMs, toMs, (d) => {
          const margin = d.days.reduce((s, r) => s + r.marginUsd, 0);
          const hours = d.days.reduce((s, r) => s + r.hoursMeasured, 0);
          process.stdout.write(`${new Date(d.dayStartMs).toISOString().slice(0, 10)} ${d.status.padEnd(11)} ${String(hours).padStart(5)} block-hours  margin $${margin.toFixed(2)}${d.unpricedHours ? `  (${d.unpricedHours} block-hours without a price left out)` : ''}\n`);
        });
        process.stdout.write(`ledger: ${n} day${n === 1 ? '' : 's'} recomputed (hashprice: ${market.hashpriceSource})\n`);
        if (market.chain) {
          // Fees per block are chain data or a stated assumption, never a silent zero.
          const f = feesUsed(market.chain, fromMs, toMs);
          process.stdout.write(f.assumedDays === 0 ? `fees per block: chain data (${f.chainDays} days)\n` : `fees per block: chain data ${f.chainDays} days, ASSUMED ${f.assumedFeesPerBlockBtc} BTC/block on ${f.assumedDays} days (no transaction-fees chart covers them)\n`);
        }
      } finally {
        await history.close();
        store.close();
      }
    });
}

const usd = (x: number | null) => (x === null ? 'n/a' : `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);

function debtText(r: DebtReport): string {
  const lines = [`Debt exposure: ${r.company.name}, as of ${r.asOf}; BTC ${usd(r.btcPriceUsd)}, hashprice ${usd(r.hashpriceUsdPerPhDay)}/PH/day; total debt ${usd(r.totalDebtUsd)}`, ''];
  lines.push('instrument         kind               balance            coupon  maturity');
  for (const i of r.instruments) lines.push(`${i.id.padEnd(18)} ${i.kind.padEnd(18)} ${usd(i.balanceUsd).padStart(18)} ${`${i.couponPct} %`.padStart(7)}  ${i.maturityDate}${i.refinanceCouponPct !== null ? ` (rolled at ${i.refinanceCouponPct} %)` : ''}`);
  if (r.trailing) lines.push('', `Trailing DSCR: ${r.trailing.dscr ?? 'n/a'} (${r.trailing.note}): EBITDA ${usd(r.trailing.ebitdaAnnualisedUsd)} a year over debt service ${usd(r.trailing.debtServiceUsd)}`);
  lines.push('', 'Covenants (tested at quarter ends on the forward model):');
  for (const c of r.covenants) {
    lines.push(`  ${c.instrumentId} ${c.kind} ${c.threshold}: worst ${c.worst ?? 'n/a'}${c.firstBreach ? `, BREACH from ${c.firstBreach}` : ', holds'}; breaks at BTC ${usd(c.breaksAtBtcUsd)} / hashprice ${usd(c.breaksAtHashpriceUsdPerPhDay)}${c.note ? ` (${c.note})` : ''}`);
  }
  for (const b of r.btcLoans) lines.push(`BTC loan ${b.instrumentId}: LTV ${b.ltvPct} %, margin call at ${usd(b.marginCallBtcUsd)} (${b.marginCallLtvPct} % LTV), ${b.btcFree} BTC free`);
  for (const c of r.convertibles) lines.push(`Convertible ${c.instrumentId}: conversion ${usd(c.conversionPriceUsd)}, share ${usd(c.sharePriceUsd)}: ${c.inTheMoney ? 'converts' : `refinance ${usd(c.refinanceNeedUsd)} at ${c.maturityDate}`}`);
  lines.push('', 'Maturities by quarter:');
  for (const q of r.ladder) lines.push(`  ${q.quarter}  ${usd(q.totalUsd).padStart(18)}  ${Object.entries(q.byInstrument).map(([k, v]) => `${k} ${usd(v)}`).join(', ')}`);
  lines.push('', 'Assumptions:', ...r.assumptions.map((a) => `  - ${a}`));
  return `${lines.join('\n')}\n`;
}

function marginsText(r: ReturnType<typeof marginsReport>): string {
  const lines = [`Realised margins ${r.from} to ${r.to} by ${r.groupBy}`, `${r.groupBy.padEnd(12)} ${'MWh'.padStart(12)} ${'mining'.padStart(14)} ${'AI'.padStart(14)} ${'energy'.padStart(14)} ${'margin'.padStart(14)} ${'$/MW-day'.padStart(10)} ${'$/MWh'.padStart(8)}`];
  for (const g of [...r.groups, ...(r.total ? [r.total] : [])]) {
    lines.push(`${g.key.padEnd(12)} ${g.meteredMwh.toFixed(1).padStart(12)} ${usd(g.miningRevenueUsd).padStart(14)} ${usd(g.aiRevenueUsd).padStart(14)} ${usd(g.energyCostUsd).padStart(14)} ${usd(g.marginUsd).padStart(14)} ${usd(g.marginUsdPerMwDay).padStart(10)} ${usd(g.marginUsdPerMwh).padStart(8)}${g.provisional ? ' (provisional)' : ''}`);
  }
  if (r.groups.length === 0) lines.push('(no ledger rows in this range: run `switchyard ledger --from --to --site FILE` to backfill)');
  return `${lines.join('\n')}\n`;
}
