import { ContextError } from '../../services/lib/errors.ts';
import { leaseMonthlySchedule } from '../../services/finance/lease.ts';
import { balanceAt, forwardBase, type ForwardBase } from '../../services/finance/forward.ts';
import { testMonths } from '../../services/finance/covenants.ts';
import { committedConversions } from '../../services/finance/conversion.ts';
import { contractDayRentUsd, contractTerm, inTerm } from '../../services/finance/contracts.ts';
import { DEFAULT_ANCHOR, hashpricePath } from '../../services/finance/hashprice-outlook.ts';
import type { Company } from '../../services/finance/load-company.ts';
import { monthStartMs } from '../../services/finance/months.ts';
import { blockSubsidyBtc } from '../../services/market/chain.ts';
import { calendar } from './calendar.ts';
import type { BtcLoanModel, CompiledModel, ConversionModel, CovenantModel, DecisionModel, MiningBlockModel, TenantModel } from './model.ts';
import type { Scenario } from './scenario-schema.ts';

/**
 * Company + scenario → the compiled model the workers run. The forward model
 * (services/finance/forward.ts) gives the centre of every risk (outlook BTC price, hashprice
 * trend and halvings, power price, rents, costs, capex, debt service); the scenario gives the
 * risks around it. A scenario that names a block, contract or instrument the company does not
 * have is a ScenarioMismatch naming the scenario key.
 */

const DAYS_PER_YEAR = 365.25;
const DAY_MS = 86_400_000;
const HALVING_2028_HEIGHT = 1_050_000;

export class ScenarioMismatchError extends ContextError {
  readonly keyPath: string;
  constructor(keyPath: string, message: string) {
    super('E_SCENARIO', `scenario ${keyPath}: ${message}`);
    this.name = 'ScenarioMismatchError';
    this.keyPath = keyPath;
  }
}

export interface CompiledRun {
  model: CompiledModel;
  base: ForwardBase;
  months: string[];
  covenants: Array<{ instrumentId: string; kind: string; threshold: number; testMonths: string[] }>;
  btcLoans: Array<{ instrumentId: string; marginCallBtcUsd: number; outstandingFrom: string; outstandingTo: string }>;
  decisions: Array<{ id: string; blockId: string; grossMw: number; criticalItMw: number }>;
  assumptions: string[];
}

export interface CompileOptions {
  nowMs?: number;
  /** Daily log returns for a bootstrap (history.ts). */
  bootstrapReturns?: Float64Array;
  /** Hour shape by month from a price file (scenario power.shape: file; price-shape.ts). */
  priceShape?: Float64Array;
  /** BTC price today from the history (scenario startFromHistory). */
  startPriceUsd?: number;
}

export function compileRun(company: Company, scenario: Scenario, opts: CompileOptions = {}): CompiledRun {
  const outlook = { ...company.file.outlook, horizonMonths: scenario.horizonMonths ?? company.file.outlook.horizonMonths };
  const co: Company = { ...company, file: { ...company.file, outlook } };
  const base = forwardBase(co, { nowMs: opts.nowMs });
  const n = base.months.length;
  const cal = calendar(base.startMonth, n);
  const startMs = monthStartMs(base.startMonth, 0);
  const dayOf = (date: string) => Math.round((Date.parse(`${date}T00:00:00Z`) - startMs) / DAY_MS);
  const clampDay = (d: number) => Math.max(0, Math.min(cal.days, d));

  // BTC.
  const s = scenario.btc;
  const shockLogPerDay = new Float64Array(cal.days);
  s.shocks.forEach((k, i) => {
    const m = k.month - 1;
    if (m >= n) throw new ScenarioMismatchError(`btc.shocks[${i}].month`, `month ${k.month} is past the horizon (${n} months)`);
    const perDay = Math.log(1 + k.pct / 100) / cal.daysInMonth[m]!;
    for (let d = cal.firstDay[m]!; d < cal.firstDay[m]! + cal.daysInMonth[m]!; d++) shockLogPerDay[d] = shockLogPerDay[d]! + perDay;
  });
  let returns: Float64Array = new Float64Array(0);
  if (s.model === 'bootstrap') {
    if (!opts.bootstrapReturns || opts.bootstrapReturns.length < 2) throw new ScenarioMismatchError('btc.historyFiles', 'no daily returns to bootstrap from');
    returns = demeaned(opts.bootstrapReturns);
  }

  // Chain: the outlook's heights at 144 a day from its anchor, its hashprice trend.
  const h = outlook.hashprice;
  const anchor = h.halvingDate !== undefined ? { height: HALVING_2028_HEIGHT, date: h.halvingDate } : (h.anchor ?? DEFAULT_ANCHOR);
  const startHeight = Math.max(0, Math.floor(anchor.height + ((startMs - Date.parse(`${anchor.date}T00:00:00Z`)) / DAY_MS) * 144));
  const trend = (1 + h.btcPriceGrowthPctPerYear / 100) / (1 + h.difficultyGrowthPctPerYear / 100);
  // A start price other than the outlook's scales BTC and hashprice alike (hashprice ∝ price).
  const startPrice = s.startPriceUsd ?? opts.startPriceUsd;
  if (startPrice !== undefined && !(startPrice > 0)) throw new ScenarioMismatchError('btc.startFromHistory', 'the history has no positive last price');
  const priceScale = startPrice === undefined ? 1 : startPrice / outlook.btcPriceUsd;
  const hashpriceTrendUsd = Float64Array.from({ length: n }, (_, m) => h.startUsdPerPhDay * trend ** (m / 12) * priceScale);
  const drift = scenario.difficulty;
  const driftPerDay = Math.log(1 + drift.extraGrowthPctPerMonth / 100) / (DAYS_PER_YEAR / 12);
  let driftFrom = 0;
  if (drift.extraGrowthFrom === 'halving') {
    const halving = hashpricePath(h, base.startMonth, n).halvings[0];
    driftFrom = halving ? clampDay(dayOf(halving.date)) : cal.days;
  }
  const hashrateDriftCum = Float64Array.from({ length: cal.days + 1 }, (_, d) => Math.max(0, d - driftFrom) * driftPerDay);

  // Power.
  const p = scenario.power;
  const shape = new Float64Array(12 * 24).fill(1);
  if (p.shape === 'site') {
    const profile = company.sites.map((x) => x.site.dispatch?.priceProfileUsdPerMwh).find((x) => x !== undefined);
    if (!profile) throw new ScenarioMismatchError('power.shape', 'no site file has dispatch.priceProfileUsdPerMwh');
    const mean = profile.reduce((a, b) => a + b, 0) / 24;
    if (!(mean > 0)) throw new ScenarioMismatchError('power.shape', 'the site price profile averages ≤ 0; it cannot scale a level');
    for (let c = 0; c < 12; c++) for (let hr = 0; hr < 24; hr++) shape[c * 24 + hr] = profile[hr]! / mean;
  }
  if (p.shape === 'file') {
    if (!opts.priceShape || opts.priceShape.length !== 12 * 24) throw new ScenarioMismatchError('power.priceFile', 'no hour shape was read from the price file');
    shape.set(opts.priceShape);
  }

  // Mining blocks from the forward model.
  const siteById = new Map(company.sites.map((x) => [x.site.site.id, x.site]));
  const blocks: MiningBlockModel[] = base.blocks.map((b) => {
    const site = siteById.get(b.siteId)!;
    const restartPerMw = scenario.restartCostUsdPerMw ?? site.dispatch?.restartCostUsdPerMw ?? 0;
    return {
      id: b.blockId,
      phs: b.hashratePhs,
      wallMw: b.grossMw * outlook.miningUptime,
      keptShare: outlook.miningUptime * (1 - site.site.poolFee),
      restartCostUsd: restartPerMw * b.grossMw,
      opexUsdPerMonth: company.file.corporateCosts.miningOpexUsdPerMwMonth * b.grossMw,
    };
  });

  // Tenants: each contract's rent by month, day by day in term (as the forward model adds it).
  const tenants: TenantModel[] = [];
  const tenantOfContract = new Map<string, number>();
  for (const { site } of company.sites) {
    for (const c of site.contracts) {
      const rentUsd = new Float64Array(n);
      for (let m = 0; m < n; m++) {
        const first = monthStartMs(base.startMonth, m);
        for (let d = 0; d < cal.daysInMonth[m]!; d++) {
          const dayMs = first + d * DAY_MS;
          if (inTerm(c, dayMs)) rentUsd[m] = rentUsd[m]! + contractDayRentUsd(c, dayMs);
        }
      }
      // After the term: the rent in force on its last day, per day, for renewal (scaled by the scenario).
      const endMs = contractTerm(c).endMs;
      const lastDayRent = contractDayRentUsd(c, endMs - DAY_MS);
      const renewalRentUsd = new Float64Array(n);
      for (let m = 0; m < n; m++) {
        const first = monthStartMs(base.startMonth, m);
        for (let d = 0; d < cal.daysInMonth[m]!; d++) if (first + d * DAY_MS >= endMs) renewalRentUsd[m] = renewalRentUsd[m]! + lastDayRent;
      }
      tenantOfContract.set(c.id, tenants.length);
      tenants.push({ contractId: c.id, rentUsd, renewalRentUsd, renewalProb: 0, defaultProbPerMonth: 0, forcedDefaultMonth: -1, recoveryShare: 0 });
    }
  }
  scenario.tenants.forEach((t, i) => {
    const k = tenantOfContract.get(t.contractId);
    if (k === undefined) throw new ScenarioMismatchError(`tenants[${i}].contractId`, `no contract "${t.contractId}" in the company's sites (${[...tenantOfContract.keys()].join(', ') || 'none'})`);
    const tm = tenants[k]!;
    tm.defaultProbPerMonth = monthlyFromAnnual(t.defaultPctPerYear / 100);
    tm.forcedDefaultMonth = t.defaultMonth === undefined ? -1 : t.defaultMonth - 1;
    tm.recoveryShare = t.recoveryPct / 100;
    tm.renewalProb = t.renewalPct / 100;
    for (let m = 0; m < n; m++) tm.renewalRentUsd[m] = tm.renewalRentUsd[m]! * (t.renewalRatePct / 100);
  });

  // Conversions already under way.
  const conversions: ConversionModel[] = [];
  for (const { site } of company.sites) {
    for (const c of committedConversions(site, base.startMonth)) {
      if (c.readyMonth < 0) continue;
      const capexUsd = new Float64Array(n);
      const per = c.capexUsd / (c.readyMonth + 1);
      for (let m = 0; m <= c.readyMonth && m < n; m++) capexUsd[m] = per;
      const block = site.blocks.find((b) => b.id === c.blockId);
      const tenantIndex = block?.contractId !== undefined ? (tenantOfContract.get(block.contractId) ?? -1) : -1;
      conversions.push({ blockId: c.blockId, capexUsd, overrunMean: 0, overrunSd: 0, maxDelayMonths: 0, readyMonth: c.readyMonth, tenantIndex });
    }
  }
  scenario.conversions.forEach((r, i) => {
    const cv = conversions.find((c) => c.blockId === r.blockId);
    if (!cv) throw new ScenarioMismatchError(`conversions[${i}].blockId`, `block "${r.blockId}" is not converting inside the horizon (${conversions.map((c) => c.blockId).join(', ') || 'none is'})`);
    cv.maxDelayMonths = r.maxDelayMonths;
    cv.overrunMean = r.overrunMeanPct / 100;
    cv.overrunSd = r.overrunSdPct / 100;
  });

  // BTC-backed loans and covenants from the debt book.
  const btcLoans: BtcLoanModel[] = [];
  const loanInfo: CompiledRun['btcLoans'] = [];
  for (const d of company.debt) {
    if (d.kind !== 'btc-backed-loan' || !d.btcPledged || !d.marginCallLtvPct) continue;
    const price = d.principalUsd / (d.btcPledged * (d.marginCallLtvPct / 100));
    // Bullets are rolled at maturity (the forward model's assumption): outstanding to the horizon's end.
    const toDay = d.amortization === 'bullet' ? cal.days : clampDay(dayOf(d.maturityDate));
    // A call is cured to the scenario's LTV, else to today's LTV at the outlook price, at most 90 % of the call LTV.
    const callLtv = d.marginCallLtvPct / 100;
    const todayLtv = d.principalUsd / (d.btcPledged * (startPrice ?? outlook.btcPriceUsd));
    const cureLtv = scenario.marginCallCureLtvPct !== undefined ? scenario.marginCallCureLtvPct / 100 : Math.min(todayLtv, 0.9 * callLtv);
    if (!(cureLtv > 0 && cureLtv < callLtv)) throw new ScenarioMismatchError('marginCallCureLtvPct', `the cure LTV (${(cureLtv * 100).toFixed(1)} %) must be above 0 and below ${d.id}'s margin-call LTV (${d.marginCallLtvPct} %)`);
    btcLoans.push({ id: d.id, balanceUsd: d.principalUsd, btcPledged: d.btcPledged, marginCallLtv: callLtv, cureLtv, fromDay: clampDay(dayOf(d.issueDate)), toDay });
    loanInfo.push({ instrumentId: d.id, marginCallBtcUsd: price, outstandingFrom: d.issueDate, outstandingTo: toDay >= cal.days ? 'horizon end (rolled)' : d.maturityDate });
  }
  const covenants: CovenantModel[] = [];
  for (const d of company.debt) {
    for (const c of d.covenants) {
      const months = Int32Array.from(testMonths(base, d));
      covenants.push({
        instrumentId: d.id,
        kind: c.kind,
        threshold: c.threshold,
        testMonths: months,
        balanceUsd: Float64Array.from(months, (m) => balanceAt(d.principalUsd, d.issueDate, base.schedules.get(d.id) ?? [], monthStartMs(base.startMonth, m + 1))),
        btcPledged: d.btcPledged ?? 0,
        loanIndex: c.kind === 'max-ltv' ? btcLoans.findIndex((l) => l.id === d.id) : -1,
      });
    }
  }

  // Decisions: keep mining vs convert.
  const rate = scenario.discountRatePctPerYear / 100;
  const discount = Float64Array.from({ length: n }, (_, m) => (1 + rate) ** (-(m + 1) / 12));
  const decisionInfo: CompiledRun['decisions'] = [];
  const decisions: DecisionModel[] = scenario.decisions.map((x, i) => {
    const blockIndex = base.blocks.findIndex((b) => b.blockId === x.blockId);
    if (blockIndex < 0) throw new ScenarioMismatchError(`decisions[${i}].blockId`, `"${x.blockId}" is not a mining block (${base.blocks.map((b) => b.blockId).join(', ')})`);
    const grossMw = base.blocks[blockIndex]!.grossMw;
    const criticalItMw = grossMw * x.criticalItShare;
    const capex = criticalItMw * x.capexUsdPerMwCriticalIt;
    const lead = x.leadTimeMonths;
    const convertCapexUsd = new Float64Array(n);
    if (lead === 0) convertCapexUsd[0] = capex;
    else for (let m = 0; m < Math.min(lead, n); m++) convertCapexUsd[m] = capex / lead;
    const rent = leaseMonthlySchedule({ rateUsdPerKwMonth: x.rateUsdPerKwMonth, criticalItMw, termMonths: x.termMonths, escalatorPctPerYear: x.escalatorPctPerYear });
    const id = `convert-${x.blockId}`;
    decisionInfo.push({ id, blockId: x.blockId, grossMw, criticalItMw });
    return {
      id,
      blockId: x.blockId,
      blockIndex,
      convertCapexUsd,
      convertRentUsd: Float64Array.from(rent, (r) => r.revenueUsd * (1 - x.opexPctOfRent / 100)),
      readyMonth: lead,
      maxDelayMonths: x.maxDelayMonths,
      overrunMean: x.overrunMeanPct / 100,
      overrunSd: x.overrunSdPct / 100,
      defaultProbPerMonth: monthlyFromAnnual(x.defaultPctPerYear / 100),
      recoveryShare: x.recoveryPct / 100,
    };
  });

  const model: CompiledModel = {
    days: cal.days,
    months: n,
    monthOfDay: cal.monthOfDay,
    calMonthOfDay: cal.calMonthOfDay,
    daysInMonth: cal.daysInMonth,
    btc: {
      kind: s.model,
      basePriceUsd: Float64Array.from(base.btcPriceUsd, (p) => p * priceScale),
      driftPerDay: Math.log(1 + s.driftPctPerYear / 100) / DAYS_PER_YEAR,
      volPerSqrtDay: s.volatilityPctPerYear / 100 / Math.sqrt(DAYS_PER_YEAR),
      jumpProbPerDay: (s.jumps?.perYear ?? 0) / DAYS_PER_YEAR,
      jumpLogMean: Math.log(1 + (s.jumps?.meanPct ?? 0) / 100),
      jumpLogSd: (s.jumps?.sdPct ?? 0) / 100,
      returns,
      blockDays: s.blockDays,
      shockLogPerDay,
    },
    chain: {
      hashpriceTrendUsd,
      feeShare: h.feeSharePct / 100,
      startSubsidyBtc: blockSubsidyBtc(startHeight),
      startHeight,
      lagDays: drift.lagDays,
      elasticity: drift.elasticity,
      hashrateDriftCum,
      retargetBlocks: 2016,
    },
    power: {
      basePriceUsdPerMwh: Float64Array.from(base.powerPriceUsdPerMwh),
      reversionPerDay: p.reversionPerYear / DAYS_PER_YEAR,
      volPerSqrtDay: p.volatilityPctPerYear / 100 / Math.sqrt(DAYS_PER_YEAR),
      shape,
      stormProbPerDay: (p.storms?.perYear ?? 0) / DAYS_PER_YEAR,
      stormMultiplier: p.storms?.multiplier ?? 1,
      stormDays: p.storms?.days ?? 1,
    },
    blocks,
    tenants,
    aiOpexShare: company.file.corporateCosts.aiOpexPctOfRent / 100,
    aiEnergyMwh: Float64Array.from(base.aiEnergyUsd, (usd, m) => (base.powerPriceUsdPerMwh[m]! > 0 ? usd / base.powerPriceUsdPerMwh[m]! : 0)),
    conversions,
    gAndAUsd: Float64Array.from(base.gAndAUsd),
    debtServiceUsd: Float64Array.from(base.debtServiceUsd),
    debtOutstandingUsd: Float64Array.from(base.debtOutstandingUsd),
    startCashUsd: base.cashUsd,
    cashFloorUsd: scenario.cashFloorUsd,
    windowMonths: base.windowMonths,
    btcLoans,
    freeBtc: Math.max(0, company.file.treasury.btcHeld - btcLoans.reduce((sum, l) => sum + l.btcPledged, 0)),
    covenants,
    decisions,
    discount,
  };
  return {
    model,
    base,
    months: base.months,
    covenants: covenants.map((c) => ({ instrumentId: c.instrumentId, kind: c.kind, threshold: c.threshold, testMonths: Array.from(c.testMonths, (m) => base.months[m]!) })),
    btcLoans: loanInfo,
    decisions: decisionInfo,
    assumptions: [
      ...base.assumptions,
      'dispatch on every path is a fast rule, not the MILP: a mining block hashes in an hour when the hour price is at or below its break-even, restarts counted as if each day repeats its pattern',
      'paths move around the forward model: BTC price × e^X (X from 0), network hashrate × e^Y (Y follows X with a lag and an elasticity), power level × e^Z (Z reverts to 0) and storm days',
      'a halving cuts the whole month it falls in, at the height each path reaches',
      'covenants are tested at quarter ends as in the forward model; margin calls are checked every day while the loan is outstanding (rolled bullets: to the horizon end)',
      'a margin call is cured at once to the cure LTV: free treasury BTC is pledged first, then the loan is paid down in cash (free cash, cash, net debt and the LTV covenant see it; the interest saved on the lower balance is not counted)',
      'a tenant renews at the end of its term with the scenario probability, at the scenario share of the rent in force on its last day (no renewal: no rent)',
      'AI energy the operator pays is billed at the month mean power level; a defaulted tenant\'s hall draws no power saving',
      `decisions: NPV at ${scenario.discountRatePctPerYear} %/yr over the horizon of the block's mining margin (less mining opex) against converting it now (capex over the lead time, rent net of opex from the ready month)`,
    ],
  };
}

function monthlyFromAnnual(p: number): number {
  return p >= 1 ? 1 : 1 - (1 - p) ** (1 / 12);
}

function demeaned(r: Float64Array): Float64Array {
  let mean = 0;
  for (const v of r) mean += v;
  mean /= r.length;
  return Float64Array.from(r, (v) => v - mean);
}

