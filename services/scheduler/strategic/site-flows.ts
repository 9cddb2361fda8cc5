import type { SiteFile } from '../../domain/site-schema.ts';
import { defaultCatalogs, summarizeBlock, type Catalogs } from '../../domain/site.ts';
import { contractGrossMw } from '../../finance/ai-load.ts';
import { powerCostOf, rampShare } from '../../finance/contracts.ts';
import { gpuCloudRevenueUsd, leaseMonthlySchedule } from '../../finance/lease.ts';
import { miningRevenueUsd } from '../../finance/mining.ts';
import { DAYS_PER_MONTH, HOURS_PER_MONTH, monthIndexOfDate, monthStartMs } from '../../finance/months.ts';

/**
 * The site as the strategic model sees it: which blocks could be converted and what each
 * earns by mining month by month, and the cash the site's signed contracts bring regardless
 * of the plan. Pure.
 *
 * Candidates: every block in state mining (or curtailed, which is an operational state, not
 * a strategic one). Conversion capex is taken to cover making a mining shell AI-capable
 * (published $8–11M per MW critical IT figures are for such conversions), so capability ai
 * is not required; an offer may price AI-ready blocks lower. Blocks in state ai stay ai and
 * blocks in state converting are committed: both earn only through the site's contracts.
 */

export interface Candidate {
  blockId: string;
  name: string;
  capacityMw: number;
  aiCapable: boolean;
  /** Miner hashrate, PH/s, and the gross MW it draws (IT × overhead). */
  hashratePhs: number;
  miningGrossMw: number;
  /** Mining margin per month, USD, never negative: the operator curtails a month that would lose money. */
  miningMarginUsd: number[];
}

export interface ExcludedBlock {
  blockId: string;
  state: string;
  reason: string;
}

export interface MiningConditions {
  hashpriceUsdPerPhDay: readonly number[];
  powerUsdPerMwh: readonly number[];
  poolFee: number;
  uptime: number;
}

const HS_PER_PHS = 1e15;
const W_PER_MW = 1e6;

/**
 * max(0, hashprice × PH/s × (1 − pool fee) − gross MW × 24 × power price) × days × uptime:
 * mining revenue and power cost for a month of the block at its nominal fleet.
 */
export function miningMarginUsd(hashratePhs: number, grossMw: number, c: MiningConditions, month: number): number {
  const revenuePerDay = miningRevenueUsd(c.hashpriceUsdPerPhDay[month]!, hashratePhs, 1, c.poolFee);
  const powerPerDay = grossMw * 24 * c.powerUsdPerMwh[month]!;
  return Math.max(0, revenuePerDay - powerPerDay) * DAYS_PER_MONTH * c.uptime;
}

export function siteCandidates(
  site: SiteFile,
  c: MiningConditions,
  months: number,
  catalogs: Catalogs = defaultCatalogs(),
): { candidates: Candidate[]; excluded: ExcludedBlock[] } {
  const candidates: Candidate[] = [];
  const excluded: ExcludedBlock[] = [];
  for (const b of site.blocks) {
    if (b.state === 'ai') {
      excluded.push({ blockId: b.id, state: b.state, reason: 'already AI: stays AI, earning through its contract' });
      continue;
    }
    if (b.state === 'converting') {
      excluded.push({ blockId: b.id, state: b.state, reason: 'conversion already committed: earns nothing here until a contract names it' });
      continue;
    }
    const s = summarizeBlock(b, catalogs);
    const hashratePhs = s.hashrateHs / HS_PER_PHS;
    const miningGrossMw = (s.minerPowerW * s.overheadFactor) / W_PER_MW;
    const margins: number[] = [];
    for (let m = 0; m < months; m++) margins.push(miningMarginUsd(hashratePhs, miningGrossMw, c, m));
    candidates.push({
      blockId: b.id,
      name: b.name,
      capacityMw: b.capacityMw,
      aiCapable: b.capability.includes('ai'),
      hashratePhs,
      miningGrossMw,
      miningMarginUsd: margins,
    });
  }
  return { candidates, excluded };
}

export interface ContractOpex {
  colocationOpexPctOfRevenue: number;
  gpuCloudOpexPctOfRevenue: number;
}

/**
 * Net operating income of the site's signed contracts by month, USD. A colocation lease bills
 * its schedule from the month of its start date (contract year by contract year, as
 * finance/lease.ts computes it); GPU cloud bills GPUs × rate × utilization × hours. Power is
 * treated as the contract says (finance/contracts.ts powerCostOf): pass-through costs the
 * operator nothing; included and operator-paid cost the contract's utilisation-scaled gross
 * MW × hours × the month's power price, inside the term only. Opex shares are upkeep besides power.
 */
export function existingContractNoiUsd(site: SiteFile, startMonth: string, months: number, opex: ContractOpex, powerUsdPerMwh: readonly number[], catalogs: Catalogs = defaultCatalogs()): number[] {
  const out = new Array<number>(months).fill(0);
  for (const c of site.contracts) {
    const first = monthIndexOfDate(startMonth, c.startDate);
    if (powerCostOf(c) !== 'pass-through') {
      const grossMw = contractGrossMw(site, c.id, catalogs);
      for (let k = 0; k < c.termMonths; k++) {
        const m = first + k;
        if (m >= 0 && m < months) out[m]! -= grossMw * HOURS_PER_MONTH * powerUsdPerMwh[m]!;
      }
    }
    if (c.kind === 'colocation') {
      const keep = 1 - opex.colocationOpexPctOfRevenue / 100;
      const schedule = leaseMonthlySchedule({
        rateUsdPerKwMonth: c.rateUsdPerKwMonth,
        criticalItMw: c.criticalItMw,
        termMonths: c.termMonths,
        escalatorPctPerYear: c.escalatorPctPerYear,
      });
      for (const row of schedule) {
        const m = first + row.month - 1;
        if (m >= 0 && m < months) out[m]! += row.revenueUsd * keep * rampShare(c, monthStartMs(startMonth, m));
      }
    } else {
      const keep = 1 - opex.gpuCloudOpexPctOfRevenue / 100;
      const perMonth = gpuCloudRevenueUsd({
        gpuCount: c.gpuCount,
        rateUsdPerGpuHour: c.rateUsdPerGpuHour,
        utilization: c.utilization,
        periodHours: HOURS_PER_MONTH,
      });
      for (let k = 0; k < c.termMonths; k++) {
        const m = first + k;
        if (m >= 0 && m < months) out[m]! += perMonth * keep * rampShare(c, monthStartMs(startMonth, m));
      }
    }
  }
  return out;
}
