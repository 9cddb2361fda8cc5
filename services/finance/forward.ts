import { defaultCatalogs, summarizeBlock, type Catalogs } from '../domain/site.ts';
import { contractGrossMw } from './ai-load.ts';
import type { Outlook } from './company-schema.ts';
import { committedConversionCapexUsd } from './conversion.ts';
import { contractDayRentUsd, inTerm, powerCostOf } from './contracts.ts';
import { monthlyDebtService, rolledSchedule, type RolledPayment } from './debt-schedule.ts';
import { hashpricePath } from './hashprice-outlook.ts';
import type { Company } from './load-company.ts';
import { miningRevenueUsd } from './mining.ts';
import { addMonthsToDate, monthIndexOfDate, monthLabel, monthStartMs } from './months.ts';

/**
 * The company's forward model, month by month from the outlook's start: what every block
 * earns (mining at the outlook's hashprice, AI contracts by term), corporate costs, committed
 * conversion capex, debt service with bullets rolled at the refinancing rate, cash, debt
 * outstanding, DSCR and net leverage. Pure.
 *
 * Built in two steps so a price scenario is cheap: `forwardBase` computes everything that does
 * not depend on the BTC price once; `forwardAt(base, k)` prices it with BTC price and hashprice
 * both scaled by k (hashprice is proportional to the BTC price at a given difficulty, fees held
 * in BTC). The covenant headroom search (covenants.ts) and Monte Carlo (simulations/finance)
 * call forwardAt many times; `paths` lets a caller give its own monthly paths instead.
 *
 * Month m: days = calendar days of that month.
 *   mining revenue_b = hashprice_m × PH/s_b × days × uptime × (1 − pool fee)
 *   mining power_b   = gross MW_b × 24 × days × uptime × power price
 *   mining margin    = Σ_b max(0, revenue_b − power_b)   (a block that would lose money is curtailed)
 *                      − mining opex ($/MW-month × gross MW)
 *   AI               = Σ_contracts rent (day by day, in term only) − AI opex (% of rent)
 *                      − energy of AI load the operator pays (included / operator-paid),
 *                        utilisation-scaled load × overhead × 24 × days in term × power price
 *   EBITDA           = mining margin + AI − G&A
 *   cash_m           = cash_0 + Σ_{j ≤ m} (EBITDA_j − debt service_j − committed capex_j)
 *   DSCR_m           = Σ EBITDA / Σ debt service over the forward window [m, m + w)
 *   net leverage_m   = (debt outstanding_m − cash_m) / (Σ EBITDA over [m, m + w) × 12 / w)
 */

export interface ForwardBlock {
  siteId: string;
  blockId: string;
  hashratePhs: number;
  grossMw: number;
  /** Mining revenue per month at k = 1 (today's prices), USD. */
  revenueUsd: number[];
  powerUsd: number[];
}

export interface ForwardBase {
  startMonth: string;
  months: string[];
  days: number[];
  btcPriceUsd: number[];
  hashpriceUsdPerPhDay: number[];
  powerPriceUsdPerMwh: number[];
  blocks: ForwardBlock[];
  miningOpexUsd: number[];
  aiRentUsd: number[];
  aiOpexUsd: number[];
  aiEnergyUsd: number[];
  gAndAUsd: number[];
  committedCapexUsd: number[];
  debtServiceUsd: number[];
  interestUsd: number[];
  principalUsd: number[];
  refinancedUsd: number[];
  /** Debt outstanding at each month's end (rolled bullets stay outstanding), USD. */
  debtOutstandingUsd: number[];
  /** Per instrument, its schedule (bullets rolled) up to the horizon's end. */
  schedules: Map<string, RolledPayment[]>;
  cashUsd: number;
  windowMonths: number;
  /** The stated assumptions the model rests on, for every report. */
  assumptions: string[];
}

export interface ForwardMonth {
  month: string;
  btcPriceUsd: number;
  hashpriceUsdPerPhDay: number;
  miningMarginUsd: number;
  aiUsd: number;
  ebitdaUsd: number;
  debtServiceUsd: number;
  committedCapexUsd: number;
  cashUsd: number;
  debtOutstandingUsd: number;
  /** EBITDA ÷ debt service over the forward window [m, m + window); null when none is due or no full window is left. */
  dscr: number | null;
  /** (debt outstanding − cash) at the month's end ÷ the forward window's EBITDA annualised; null when that EBITDA ≤ 0 or no full window is left. */
  netLeverage: number | null;
  /** Whether a full forward window fits in the horizon from this month (covenants are tested only then). */
  windowFull: boolean;
}

export interface ForwardPaths {
  btcPriceUsd?: readonly number[];
  hashpriceUsdPerPhDay?: readonly number[];
  powerPriceUsdPerMwh?: readonly number[];
}

const HS_PER_PHS = 1e15;

export function currentMonth(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 7);
}

export function forwardBase(company: Company, opts: { nowMs?: number; paths?: ForwardPaths; catalogs?: Catalogs } = {}): ForwardBase {
  const catalogs = opts.catalogs ?? defaultCatalogs();
  const o: Outlook = company.file.outlook;
  const startMonth = o.startMonth ?? currentMonth(opts.nowMs ?? Date.now());
  const n = o.horizonMonths;
  const months = Array.from({ length: n }, (_, m) => monthLabel(startMonth, m));
  const days = months.map((_, m) => Math.round((monthStartMs(startMonth, m + 1) - monthStartMs(startMonth, m)) / 86_400_000));
  const hp = opts.paths?.hashpriceUsdPerPhDay ?? hashpricePath(o.hashprice, startMonth, n).usdPerPhDay;
  const growth = 1 + o.hashprice.btcPriceGrowthPctPerYear / 100;
  const btc = opts.paths?.btcPriceUsd ?? months.map((_, m) => o.btcPriceUsd * growth ** (m / 12));
  const power = opts.paths?.powerPriceUsdPerMwh ?? months.map(() => o.powerPriceUsdPerMwh);
  for (const [name, p] of [['hashpriceUsdPerPhDay', hp], ['btcPriceUsd', btc], ['powerPriceUsdPerMwh', power]] as const) {
    if (p.length < n) throw new RangeError(`forward model: paths.${name} has ${p.length} months, the horizon ${n}`);
  }
  const zeros = () => new Array<number>(n).fill(0);
  const costs = company.file.corporateCosts;

  const blocks: ForwardBlock[] = [];
  const miningOpexUsd = zeros();
  const aiRentUsd = zeros();
  const aiOpexUsd = zeros();
  const aiEnergyUsd = zeros();
  const committedCapexUsd = zeros();
  for (const { site } of company.sites) {
    for (const b of site.blocks) {
      if ((b.state !== 'mining' && b.state !== 'curtailed') || b.miners.length === 0) continue;
      const s = summarizeBlock(b, catalogs);
      const hashratePhs = s.hashrateHs / HS_PER_PHS;
      const grossMw = (s.minerPowerW * s.overheadFactor) / 1e6;
      blocks.push({
        siteId: site.site.id,
        blockId: b.id,
        hashratePhs,
        grossMw,
        revenueUsd: months.map((_, m) => miningRevenueUsd(hp[m]!, hashratePhs, days[m]! * o.miningUptime, site.site.poolFee)),
        powerUsd: months.map((_, m) => grossMw * 24 * days[m]! * o.miningUptime * power[m]!),
      });
      months.forEach((_, m) => (miningOpexUsd[m]! += costs.miningOpexUsdPerMwMonth * grossMw));
    }
    months.forEach((_, m) => {
      const first = monthStartMs(startMonth, m);
      for (let d = 0; d < days[m]!; d++) {
        const dayMs = first + d * 86_400_000;
        for (const c of site.contracts) {
          if (!inTerm(c, dayMs)) continue;
          const rent = contractDayRentUsd(c, dayMs);
          aiRentUsd[m]! += rent;
          aiOpexUsd[m]! += (rent * costs.aiOpexPctOfRent) / 100;
          if (powerCostOf(c) !== 'pass-through') aiEnergyUsd[m]! += contractGrossMw(site, c.id, catalogs) * 24 * power[m]!;
        }
      }
    });
    const committed = committedConversionCapexUsd(site, startMonth, n);
    committedCapexUsd.forEach((_, m) => (committedCapexUsd[m]! += committed[m]!));
  }

  const refi = { refinanceBullets: true, defaultRefinanceCouponPct: o.refinanceCouponPct };
  const ds = monthlyDebtService(company.debt, startMonth, n, refi);
  const until = addMonthsToDate(`${startMonth}-01`, n);
  const schedules = new Map(company.debt.map((d) => [d.id, rolledSchedule(d, until, o.refinanceCouponPct)]));
  const debtOutstandingUsd = months.map((_, m) => {
    const endMs = monthStartMs(startMonth, m + 1);
    let total = 0;
    for (const d of company.debt) total += balanceAt(d.principalUsd, d.issueDate, schedules.get(d.id)!, endMs);
    return total;
  });

  return {
    startMonth,
    months,
    days,
    btcPriceUsd: [...btc],
    hashpriceUsdPerPhDay: [...hp],
    powerPriceUsdPerMwh: [...power],
    blocks,
    miningOpexUsd,
    aiRentUsd,
    aiOpexUsd,
    aiEnergyUsd,
    gAndAUsd: months.map(() => costs.gAndAUsdPerMonth),
    committedCapexUsd,
    debtServiceUsd: months.map((_, m) => ds.interestUsd[m]! + ds.principalUsd[m]!),
    interestUsd: ds.interestUsd,
    principalUsd: ds.principalUsd,
    refinancedUsd: ds.refinancedUsd,
    debtOutstandingUsd,
    schedules,
    cashUsd: company.file.treasury.cashUsd,
    windowMonths: o.dscrWindowMonths,
    assumptions: [
      `BTC price $${o.btcPriceUsd} today, growing ${o.hashprice.btcPriceGrowthPctPerYear} %/yr; hashprice $${o.hashprice.startUsdPerPhDay}/PH/day today (difficulty +${o.hashprice.difficultyGrowthPctPerYear} %/yr, halvings by height)`,
      `power $${o.powerPriceUsdPerMwh}/MWh flat; mining uptime ${o.miningUptime}; a block that would lose money in a month is curtailed for it`,
      `bullets are rolled at maturity at the instrument's refinanceCouponPct, else ${o.refinanceCouponPct} %/yr (stated assumption)`,
      'converting blocks pay their whole conversion capex evenly from the start month to their ready month',
      `DSCR and leverage on the forward ${o.dscrWindowMonths} months from each month; covenants tested at calendar quarter ends with a full window left in the horizon`,
    ],
  };
}

/** Principal outstanding just before `atMs`: principal minus what was repaid before then (0 before issue). */
export function balanceAt(principalUsd: number, issueDate: string, schedule: readonly RolledPayment[], atMs: number): number {
  if (Date.parse(`${issueDate}T00:00:00Z`) >= atMs) return 0;
  let balance = principalUsd;
  for (const p of schedule) {
    if (Date.parse(`${p.date}T00:00:00Z`) >= atMs) break;
    balance = p.balanceAfterUsd;
  }
  return balance;
}

/** The model priced at BTC price and hashprice × k (k = 1: the outlook as stated). */
export function forwardAt(base: ForwardBase, k = 1): ForwardMonth[] {
  const n = base.months.length;
  const ebitda: number[] = [];
  const rows: ForwardMonth[] = [];
  let cash = base.cashUsd;
  for (let m = 0; m < n; m++) {
    let mining = 0;
    for (const b of base.blocks) mining += Math.max(0, k * b.revenueUsd[m]! - b.powerUsd[m]!);
    mining -= base.miningOpexUsd[m]!;
    const ai = base.aiRentUsd[m]! - base.aiOpexUsd[m]! - base.aiEnergyUsd[m]!;
    const e = mining + ai - base.gAndAUsd[m]!;
    ebitda.push(e);
    cash += e - base.debtServiceUsd[m]! - base.committedCapexUsd[m]!;
    rows.push({
      month: base.months[m]!,
      btcPriceUsd: base.btcPriceUsd[m]! * k,
      hashpriceUsdPerPhDay: base.hashpriceUsdPerPhDay[m]! * k,
      miningMarginUsd: mining,
      aiUsd: ai,
      ebitdaUsd: e,
      debtServiceUsd: base.debtServiceUsd[m]!,
      committedCapexUsd: base.committedCapexUsd[m]!,
      cashUsd: cash,
      debtOutstandingUsd: base.debtOutstandingUsd[m]!,
      dscr: null,
      netLeverage: null,
      windowFull: false,
    });
  }
  // Forward windows: month m looks at months [m, m + w); where fewer than w months are left
  // in the horizon there is no full window and no ratio (a truncated window would swing with
  // each quarterly payment).
  const w = base.windowMonths;
  rows.forEach((r, m) => {
    if (m + w > n) return;
    let sumE = 0;
    let sumD = 0;
    for (let j = m; j < m + w; j++) {
      sumE += ebitda[j]!;
      sumD += base.debtServiceUsd[j]!;
    }
    r.dscr = sumD > 0 ? sumE / sumD : null;
    const annual = (sumE * 12) / w;
    r.netLeverage = annual > 0 ? (r.debtOutstandingUsd - r.cashUsd) / annual : null;
    r.windowFull = true;
  });
  return rows;
}

/** Whether month label `month` (YYYY-MM) closes a calendar quarter (Mar, Jun, Sep, Dec). */
export function isQuarterEnd(month: string): boolean {
  return Number(month.slice(5, 7)) % 3 === 0;
}

/** Index of month `date` falls in, relative to the base's start. */
export function monthOf(base: ForwardBase, date: string): number {
  return monthIndexOfDate(base.startMonth, date);
}
