import { dispatchTable, hoursOn } from './dispatch-table.ts';
import { quartersOf, type CompiledModel, type PathBlockResult } from './model.ts';
import { PATHS_PER_STREAM, streamFor, type Stream } from './rng.ts';

/**
 * The hot loop: simulates paths [firstPath, firstPath + count) day by day into typed arrays.
 * Nothing is allocated per day or per path; scratch arrays are made once per call. Each
 * stream block of PATHS_PER_STREAM paths draws from its own jumped generator (rng.ts), so the
 * numbers of a path do not depend on which call or worker simulates it. firstPath must be a
 * multiple of PATHS_PER_STREAM.
 */

const HALVING_INTERVAL = 210_000;
const HASHES_PER_DIFFICULTY = 2 ** 32;
const BLOCK_INTERVAL_S = 600;
/** Blocks a day per PH/s at difficulty D: 86,400 × 1e15 / (D × 2^32). */
const PH_BLOCKS_NUMERATOR = 86_400 * 1e15;

export function simulatePaths(model: CompiledModel, seed: number, firstPath: number, count: number): PathBlockResult {
  if (firstPath % PATHS_PER_STREAM !== 0) throw new RangeError(`firstPath ${firstPath} must be a multiple of ${PATHS_PER_STREAM}`);
  const M = model.months;
  const D = model.days;
  const Q = quartersOf(M);
  const nb = model.blocks.length;
  const nt = model.tenants.length;
  const nconv = model.conversions.length;
  const nl = model.btcLoans.length;
  const nc = model.covenants.length;
  const nd = model.decisions.length;

  const out: PathBlockResult = {
    firstPath,
    count,
    btcPriceUsd: new Float64Array(count * M),
    hashpriceUsdPerPhDay: new Float64Array(count * M),
    marginUsd: new Float64Array(count * M),
    freeCashUsd: new Float64Array(count * M),
    cashUsd: new Float64Array(count * M),
    dscr: new Float64Array(count * M),
    covenantBreach: new Uint8Array(count * nc * Q),
    marginCallMonth: new Int32Array(count * nl).fill(-1),
    decisionNpvUsd: new Float64Array(count * nd * 2),
    halvingDay: new Int32Array(count).fill(-1),
  };

  // Model fields as locals and flat typed arrays: property lookups stay out of the day loop.
  const { btc, chain, power } = model;
  const monthOfDay = model.monthOfDay;
  const calMonthOfDay = model.calMonthOfDay;
  const daysInMonth = model.daysInMonth;
  const table = dispatchTable(power.shape);
  const sortedShape = table.sorted;
  const sumShape = table.sumShape;
  const restartsTable = table.restarts;
  const bPhs = Float64Array.from(model.blocks, (b) => b.phs);
  const bWall = Float64Array.from(model.blocks, (b) => b.wallMw);
  const bKept = Float64Array.from(model.blocks, (b) => b.keptShare);
  const bRestart = Float64Array.from(model.blocks, (b) => b.restartCostUsd);
  const bFrom = Int32Array.from(model.blocks, (b) => b.fromMonth);
  const bTo = Int32Array.from(model.blocks, (b) => b.toMonth);
  const operatorPaidMw = model.tenants.reduce((s, t) => s + t.operatorPaidMw, 0);
  const loanBarrier = Float64Array.from(model.btcLoans, (l) => l.marginCallPriceUsd);
  const loanFrom = Int32Array.from(model.btcLoans, (l) => l.fromDay);
  const loanTo = Int32Array.from(model.btcLoans, (l) => l.toDay);
  const ltvCovenants = model.covenants.map((c, i) => ({ c, i })).filter((x) => x.c.kind === 'max-ltv');
  const ltvIndex = Int32Array.from(ltvCovenants, (x) => x.i);
  const ltvPrice = Float64Array.from(ltvCovenants, (x) => (x.c.kind === 'max-ltv' ? x.c.priceUsd : 0));
  const ltvFrom = Int32Array.from(ltvCovenants, (x) => (x.c.kind === 'max-ltv' ? x.c.fromDay : 0));
  const ltvTo = Int32Array.from(ltvCovenants, (x) => (x.c.kind === 'max-ltv' ? x.c.toDay : 0));
  const nLtv = ltvIndex.length;
  const shock = btc.shockLogPerDay;
  const bootstrap = btc.kind === 'bootstrap';
  const returns = btc.returns;
  const nReturns = returns.length;
  const blockDays = Math.max(1, btc.blockDays);
  const muDay = btc.driftPerDay - 0.5 * btc.volPerSqrtDay * btc.volPerSqrtDay;
  const sigDay = btc.volPerSqrtDay;
  const jumpP = btc.jumpProbPerDay;
  const logS0 = Math.log(btc.startPriceUsd);
  const lag = Math.max(0, Math.round(chain.lagDays));
  const elasticity = chain.elasticity;
  const hDrift = chain.hashrateDriftPerDay;
  const fixedFees = chain.feesPerBlockBtc;
  const feeShare = chain.feeShareOfSubsidy;
  const retarget = chain.retargetBlocks;
  const kappa = power.reversionPerDay;
  const logMeanL = Math.log(power.meanLevelUsdPerMwh);
  const logL0 = Math.log(power.startLevelUsdPerMwh);
  const sigL = power.volPerSqrtDay;
  const stormP = power.stormProbPerDay;
  const stormMult = power.stormMultiplier;
  const stormLen = power.stormDays;

  // Scratch, once per call.
  const logS = new Float64Array(D + 1);
  const mRev = new Float64Array(M);
  const mEnergy = new Float64Array(M);
  const mRestart = new Float64Array(M);
  const mAiEnergy = new Float64Array(M);
  const mHashprice = new Float64Array(M);
  const blockMargin = new Float64Array(Math.max(1, nb) * M);
  const ebitda = new Float64Array(M);
  const debtService = new Float64Array(M);
  for (let m = 0; m < M; m++) debtService[m] = model.interestUsd[m]! + model.principalUsd[m]!;
  const tenantDefault = new Int32Array(nt);
  const convDelay = new Int32Array(nconv);
  const convOverrun = new Float64Array(nconv);
  const decDelay = new Int32Array(nd);
  const decOverrun = new Float64Array(nd);
  const decDefault = new Int32Array(nd);

  let stream: Stream | undefined;
  for (let i = 0; i < count; i++) {
    const p = firstPath + i;
    if (p % PATHS_PER_STREAM === 0 || !stream) stream = streamFor(seed, Math.floor(p / PATHS_PER_STREAM));
    const rng = stream;

    // Draws made once per path, before the days (fixed order keeps paths reproducible).
    for (let t = 0; t < nt; t++) {
      const tm = model.tenants[t]!;
      tenantDefault[t] = tm.forcedDefaultMonth >= 0 ? tm.forcedDefaultMonth : geometricMonth(rng, tm.defaultProbPerMonth);
    }
    for (let c = 0; c < nconv; c++) {
      const cv = model.conversions[c]!;
      convDelay[c] = rng.below(cv.maxDelayMonths + 1);
      convOverrun[c] = Math.max(-1, cv.overrunMean + cv.overrunSd * rng.normal());
    }
    for (let k = 0; k < nd; k++) {
      const dm = model.decisions[k]!;
      decDelay[k] = rng.below(dm.maxDelayMonths + 1);
      decOverrun[k] = Math.max(-1, dm.overrunMean + dm.overrunSd * rng.normal());
      decDefault[k] = geometricMonth(rng, dm.defaultProbPerMonth);
    }

    mRev.fill(0);
    mEnergy.fill(0);
    mRestart.fill(0);
    mAiEnergy.fill(0);
    mHashprice.fill(0);
    blockMargin.fill(0);

    let ls = logS0;
    logS[0] = ls;
    let height = chain.startHeight;
    let difficulty = chain.startDifficulty;
    let logH = Math.log((difficulty * HASHES_PER_DIFFICULTY) / BLOCK_INTERVAL_S);
    let nextRetarget = (Math.floor(height / retarget) + 1) * retarget;
    let epoch = Math.floor(height / HALVING_INTERVAL);
    let subsidy = 50 / 2 ** epoch;
    let logL = logL0;
    let stormLeft = 0;
    let bootIdx = 0;
    let bootPos = blockDays;
    const row = i * M;
    const loanRow = i * nl;
    const covRow = i * nc * Q;

    for (let d = 0; d < D; d++) {
      const m = monthOfDay[d]!;
      const cal = calMonthOfDay[d]!;
      // BTC price: the day's move.
      if (bootstrap) {
        if (bootPos >= blockDays) {
          bootIdx = rng.below(nReturns - blockDays + 1);
          bootPos = 0;
        }
        ls += returns[bootIdx + bootPos]!;
        bootPos++;
      } else {
        ls += muDay + sigDay * rng.normal();
        if (jumpP > 0 && rng.uniform() < jumpP) ls += btc.jumpLogMean + btc.jumpLogSd * rng.normal();
      }
      ls += shock[d]!;
      logS[d + 1] = ls;
      const price = Math.exp(ls);

      // Network hashrate follows the price `lag` days later, with drift; blocks come faster or
      // slower than 144 a day until the next retarget.
      const src = d - lag;
      if (src >= 0) logH += elasticity * (logS[src + 1]! - logS[src]!);
      logH += hDrift;
      const hashrate = Math.exp(logH);
      const blocks = (144 * hashrate * BLOCK_INTERVAL_S) / (difficulty * HASHES_PER_DIFFICULTY);
      const h0 = height;
      height += blocks;
      const nextHalving = (epoch + 1) * HALVING_INTERVAL;
      let reward: number;
      if (height >= nextHalving) {
        // The day's blocks before the halving height earn the old subsidy, the rest the new.
        const before = nextHalving - h0;
        const old = subsidy;
        epoch++;
        subsidy = 50 / 2 ** epoch;
        reward = (before * old + (blocks - before) * subsidy) / blocks;
        if (out.halvingDay[i] === -1) out.halvingDay[i] = d;
      } else {
        reward = subsidy;
      }
      const fees = fixedFees === fixedFees ? fixedFees : feeShare * reward; // NaN check: share of subsidy
      const hashprice = ((PH_BLOCKS_NUMERATOR / (difficulty * HASHES_PER_DIFFICULTY)) * (reward + fees)) * price;
      if (height >= nextRetarget) {
        difficulty = (hashrate * BLOCK_INTERVAL_S) / HASHES_PER_DIFFICULTY;
        nextRetarget = (Math.floor(height / retarget) + 1) * retarget;
      }

      // Power: log level reverts to its mean; storms multiply it for a few days.
      if (sigL > 0 || kappa > 0) logL += kappa * (logMeanL - logL) + sigL * (sigL > 0 ? rng.normal() : 0);
      if (stormLeft > 0) stormLeft--;
      else if (stormP > 0 && rng.uniform() < stormP) stormLeft = stormLen;
      const level = Math.exp(logL) * (stormLeft > 0 ? stormMult : 1);

      mHashprice[m] = mHashprice[m]! + hashprice;
      mAiEnergy[m] = mAiEnergy[m]! + level * 24 * operatorPaidMw;
      for (let b = 0; b < nb; b++) {
        if (m < bFrom[b]! || m >= bTo[b]!) continue;
        const revPerHour = (hashprice * bPhs[b]! * bKept[b]!) / 24;
        const k = hoursOn(table, cal, revPerHour / bWall[b]! / level);
        const rev = revPerHour * k;
        const energy = level * sumShape[cal * 25 + k]! * bWall[b]!;
        const restart = restartsTable[cal * 25 + k]! * bRestart[b]!;
        mRev[m] = mRev[m]! + rev;
        mEnergy[m] = mEnergy[m]! + energy;
        mRestart[m] = mRestart[m]! + restart;
        blockMargin[b * M + m] = blockMargin[b * M + m]! + rev - energy - restart;
      }
      for (let l = 0; l < nl; l++) {
        if (out.marginCallMonth[loanRow + l] === -1 && d >= loanFrom[l]! && d < loanTo[l]! && price <= loanBarrier[l]!) out.marginCallMonth[loanRow + l] = m;
      }
      for (let c = 0; c < nLtv; c++) {
        if (d >= ltvFrom[c]! && d < ltvTo[c]! && price <= ltvPrice[c]!) out.covenantBreach[covRow + ltvIndex[c]! * Q + ((m / 3) | 0)] = 1;
      }
      if (d + 1 === D || monthOfDay[d + 1] !== m) {
        out.btcPriceUsd[row + m] = price;
        out.hashpriceUsdPerPhDay[row + m] = mHashprice[m]! / daysInMonth[m]!;
      }
    }

    // Months: the company's cash flows on this path.
    let cash = model.startCashUsd;
    for (let m = 0; m < M; m++) {
      let rent = 0;
      for (let t = 0; t < nt; t++) {
        const r = model.tenants[t]!.rentUsd[m]!;
        rent += m < tenantDefault[t]! ? r : r * model.tenants[t]!.recoveryShare;
      }
      let capex = 0;
      for (let c = 0; c < nconv; c++) {
        const cv = model.conversions[c]!;
        capex += cv.capexUsd[m]! * (1 + convOverrun[c]!);
        if (m >= cv.readyMonth + convDelay[c]!) rent += cv.rentUsd[m]!;
      }
      const margin = mRev[m]! - mEnergy[m]! - mRestart[m]! + rent - mAiEnergy[m]!;
      const e = margin - model.fixedCostsUsd[m]!;
      ebitda[m] = e;
      const free = e - capex - debtService[m]!;
      cash += free;
      out.marginUsd[row + m] = margin;
      out.freeCashUsd[row + m] = free;
      out.cashUsd[row + m] = cash;
    }
    for (let c = 0; c < nc; c++) {
      const cov = model.covenants[c]!;
      if (cov.kind === 'max-ltv') continue;
      for (let m = cov.fromMonth; m < cov.toMonth && m < M; m++) {
        let breached = false;
        if (cov.kind === 'min-dscr') {
          const r = trailingRatio(ebitda, debtService, m, cov.windowMonths);
          breached = r === r && r < cov.threshold;
        } else {
          const ttm = trailingSum(ebitda, m, 12) * (12 / Math.min(12, m + 1));
          const netDebt = model.debtOutstandingUsd[m]! - out.cashUsd[row + m]!;
          breached = netDebt > 0 && (ttm <= 0 || netDebt / ttm > cov.threshold);
        }
        if (breached) out.covenantBreach[covRow + c * Q + ((m / 3) | 0)] = 1;
      }
    }
    for (let m = 0; m < M; m++) out.dscr[row + m] = trailingRatio(ebitda, debtService, m, 12);

    // Decisions: keep the block mining, or convert it (capex with overrun, rent from a ready
    // month with delay, the tenant's default and recovery).
    for (let k = 0; k < nd; k++) {
      const dm = model.decisions[k]!;
      let keep = 0;
      let convert = 0;
      const ready = dm.readyMonth + decDelay[k]!;
      for (let m = 0; m < M; m++) {
        const df = model.discount[m]!;
        keep += df * blockMargin[dm.blockIndex * M + m]!;
        convert -= df * dm.convertCapexUsd[m]! * (1 + decOverrun[k]!);
        if (m >= ready && m - ready < dm.convertRentUsd.length) {
          const r = dm.convertRentUsd[m - ready]!;
          convert += df * (m < decDefault[k]! ? r : r * dm.recoveryShare);
        }
      }
      out.decisionNpvUsd[(i * nd + k) * 2] = keep;
      out.decisionNpvUsd[(i * nd + k) * 2 + 1] = convert;
    }
  }
  return out;
}

/** First month of default for a monthly probability q (geometric, by inversion), or a month past any horizon. */
function geometricMonth(rng: Stream, q: number): number {
  const u = rng.uniform();
  if (q <= 0) return 1 << 30;
  if (q >= 1) return 0;
  return Math.floor(Math.log(u) / Math.log(1 - q));
}

function trailingSum(a: Float64Array, m: number, window: number): number {
  let s = 0;
  for (let j = Math.max(0, m - window + 1); j <= m; j++) s += a[j]!;
  return s;
}

/** Σ numerator / Σ denominator over the trailing window ending at m; NaN when nothing is due. */
function trailingRatio(num: Float64Array, den: Float64Array, m: number, window: number): number {
  const d = trailingSum(den, m, window);
  return d > 0 ? trailingSum(num, m, window) / d : NaN;
}
