import { dispatchTable } from './dispatch-table.ts';
import { allocateResult, type CompiledModel, type PathBlockResult } from './model.ts';
import { PATHS_PER_STREAM, streamFor, type Stream } from './rng.ts';

/**
 * The hot loop: simulates paths [firstPath, firstPath + count) day by day into typed arrays.
 * Nothing is allocated per day or per path; scratch arrays are made once per call. Each stream
 * block of PATHS_PER_STREAM paths draws from its own jumped generator (rng.ts), so a path's
 * numbers do not depend on which call or worker simulates it. firstPath must be a multiple of
 * PATHS_PER_STREAM.
 *
 * A day: X (log BTC price around the outlook) moves; the network hashrate's deviation
 * Y = elasticity × X(lag days ago) + drift; blocks come at 144 × e^(Y − Y at the last retarget)
 * a day (difficulty follows the hashrate every 2016 blocks); Z (log power level around the
 * outlook) reverts to 0; a storm may start. A month: the subsidy is the one in force for the
 * month's last block (the finance model's convention: a halving cuts the month it falls in, on
 * each path at the height that path reaches), then each mining block runs the fast dispatch
 * rule over the month's days, then the company's cash flows, DSCR and covenant tests.
 */

const HALVING_INTERVAL = 210_000;

export function simulatePaths(model: CompiledModel, seed: number, firstPath: number, count: number): PathBlockResult {
  if (firstPath % PATHS_PER_STREAM !== 0) throw new RangeError(`firstPath ${firstPath} must be a multiple of ${PATHS_PER_STREAM}`);
  const M = model.months;
  const nb = model.blocks.length;
  const nt = model.tenants.length;
  const nconv = model.conversions.length;
  const nl = model.btcLoans.length;
  const nc = model.covenants.length;
  const nd = model.decisions.length;
  const out = allocateResult(model, firstPath, count);

  // Model fields as locals and flat typed arrays: property lookups stay out of the day loop.
  const { btc, chain, power } = model;
  const daysInMonth = model.daysInMonth;
  const calMonthOfDay = model.calMonthOfDay;
  const table = dispatchTable(power.shape);
  const sumShape = table.sumShape;
  const sorted = table.sorted;
  const restartsTable = table.restarts;
  const bPhsKept = Float64Array.from(model.blocks, (b) => (b.phs * b.keptShare) / 24);
  const bWall = Float64Array.from(model.blocks, (b) => b.wallMw);
  const bRestart = Float64Array.from(model.blocks, (b) => b.restartCostUsd);
  // Revenue per hour per unit hashprice ÷ MW at the wall: break-even price ÷ hashprice.
  const bRatio = Float64Array.from(model.blocks, (b) => (b.phs * b.keptShare) / 24 / b.wallMw);
  const byRatio = Int32Array.from(model.blocks.map((_, b) => b).sort((a, b) => bRatio[b]! - bRatio[a]! || a - b));
  const monthMargin = new Float64Array(Math.max(1, nb));
  const hpHours = new Float64Array(Math.max(1, nb));
  const levelShape = new Float64Array(Math.max(1, nb));
  const starts = new Float64Array(Math.max(1, nb));
  const bOpex = Float64Array.from(model.blocks, (b) => b.opexUsdPerMonth);
  // Margin call when ln(price) = X + ln(outlook price) ≤ ln(barrier); the barrier moves on a path as cures change the loan.
  const logBase = Float64Array.from(btc.basePriceUsd, (v) => Math.log(v));
  const loanBal = new Float64Array(Math.max(1, nl));
  const loanPledged = new Float64Array(Math.max(1, nl));
  const loanLogBarrier = new Float64Array(Math.max(1, nl));
  const balAtMonthEnd = new Float64Array(Math.max(1, nl) * M);
  const pledgedAtMonthEnd = new Float64Array(Math.max(1, nl) * M);
  const loanFrom = Int32Array.from(model.btcLoans, (l) => l.fromDay);
  const loanTo = Int32Array.from(model.btcLoans, (l) => l.toDay);
  const shock = btc.shockLogPerDay;
  const basePrice = btc.basePriceUsd;
  const bootstrap = btc.kind === 'bootstrap';
  const returns = btc.returns;
  const nReturns = returns.length;
  const blockDays = Math.max(1, Math.min(btc.blockDays, nReturns));
  const muDay = btc.driftPerDay - 0.5 * btc.volPerSqrtDay * btc.volPerSqrtDay;
  const sigDay = btc.volPerSqrtDay;
  const jumpP = btc.jumpProbPerDay;
  const lag = Math.max(0, Math.round(chain.lagDays));
  const elasticity = chain.elasticity;
  const hDrift = chain.hashrateDriftCum;
  const hpTrend = chain.hashpriceTrendUsd;
  const feeShare = chain.feeShare;
  const startSubsidy = chain.startSubsidyBtc;
  const retarget = chain.retargetBlocks;
  const kappa = power.reversionPerDay;
  const sigL = power.volPerSqrtDay;
  const basePower = power.basePriceUsdPerMwh;
  const stormP = power.stormProbPerDay;
  const stormMult = power.stormMultiplier;
  const stormLen = power.stormDays;
  const W = model.windowMonths;

  // Scratch, once per call.
  const xDay = new Float64Array(model.days + 1);
  const maxDays = Math.max(...daysInMonth);
  const dayHpFactor = new Float64Array(maxDays);
  const dayLevel = new Float64Array(maxDays);
  const blockMargin = new Float64Array(Math.max(1, nb) * M);
  const ebitda = new Float64Array(M);
  const prefixE = new Float64Array(M + 1);
  const prefixD = new Float64Array(M + 1);
  for (let m = 0; m < M; m++) prefixD[m + 1] = prefixD[m]! + model.debtServiceUsd[m]!;
  const tenantDefault = new Int32Array(nt);
  const tenantRenews = new Uint8Array(nt);
  const convDelay = new Int32Array(nconv);
  const convOverrun = new Float64Array(nconv);
  const decDelay = new Int32Array(nd);
  const decOverrun = new Float64Array(nd);
  const decDefault = new Int32Array(nd);
  const monthEndPrice = new Float64Array(M);
  // Debt outstanding on this path: the schedule less what margin-call cures paid down.
  const debtNow = new Float64Array(M);

  let stream: Stream | undefined;
  for (let i = 0; i < count; i++) {
    const p = firstPath + i;
    if (p % PATHS_PER_STREAM === 0 || !stream) stream = streamFor(seed, Math.floor(p / PATHS_PER_STREAM));
    const rng = stream;

    // Draws made once per path, before the days (a fixed order keeps paths reproducible).
    for (let t = 0; t < nt; t++) {
      const tm = model.tenants[t]!;
      const drawn = geometricMonth(rng, tm.defaultProbPerMonth);
      tenantDefault[t] = tm.forcedDefaultMonth >= 0 ? tm.forcedDefaultMonth : drawn;
      tenantRenews[t] = rng.uniform() < tm.renewalProb ? 1 : 0;
    }
    for (let c = 0; c < nconv; c++) {
      const cv = model.conversions[c]!;
      convDelay[c] = cv.maxDelayMonths > 0 ? rng.below(cv.maxDelayMonths + 1) : 0;
      convOverrun[c] = cv.overrunSd > 0 ? Math.max(-1, cv.overrunMean + cv.overrunSd * rng.normal()) : cv.overrunMean;
    }
    for (let k = 0; k < nd; k++) {
      const dm = model.decisions[k]!;
      decDelay[k] = dm.maxDelayMonths > 0 ? rng.below(dm.maxDelayMonths + 1) : 0;
      decOverrun[k] = dm.overrunSd > 0 ? Math.max(-1, dm.overrunMean + dm.overrunSd * rng.normal()) : dm.overrunMean;
      decDefault[k] = geometricMonth(rng, dm.defaultProbPerMonth);
    }
    blockMargin.fill(0);

    const row = i * M;
    const loanRow = i * nl;
    let x = 0;
    xDay[0] = 0;
    let yRet = 0;
    let height = chain.startHeight;
    let nextRetarget = (Math.floor(height / retarget) + 1) * retarget;
    let z = 0;
    let stormLeft = 0;
    // Days until the next jump / storm start, drawn as geometric waits: the same law as a
    // Bernoulli draw each day, one uniform per event instead of one per day.
    let jumpWait = jumpP > 0 ? geometricWait(rng, jumpP) : -1;
    let stormWait = stormP > 0 ? geometricWait(rng, stormP) : -1;
    let bootIdx = 0;
    let bootPos = blockDays;
    let d = 0;
    let cash = model.startCashUsd;
    let freeBtc = model.freeBtc;
    let cured = 0; // cash paid down to cure margin calls so far on this path
    for (let l = 0; l < nl; l++) {
      const ln = model.btcLoans[l]!;
      loanBal[l] = ln.balanceUsd;
      loanPledged[l] = ln.btcPledged;
      loanLogBarrier[l] = Math.log(ln.balanceUsd / (ln.btcPledged * ln.marginCallLtv));
    }

    for (let m = 0; m < M; m++) {
      const nDays = daysInMonth[m]!;
      const pBase = basePrice[m]!;
      const powerBase = basePower[m]!;
      const lb = logBase[m]!;
      let monthCure = 0;
      for (let j = 0; j < nDays; j++, d++) {
        // BTC: the day's move of X.
        if (bootstrap) {
          if (bootPos >= blockDays) {
            bootIdx = rng.below(nReturns - blockDays + 1);
            bootPos = 0;
          }
          x += returns[bootIdx + bootPos]!;
          bootPos++;
        } else if (sigDay > 0 || muDay !== 0) {
          x += muDay + (sigDay > 0 ? sigDay * rng.normal() : 0);
          if (jumpWait === 0) {
            x += btc.jumpLogMean + btc.jumpLogSd * rng.normal();
            jumpWait = geometricWait(rng, jumpP);
          } else if (jumpWait > 0) jumpWait--;
        }
        x += shock[d]!;
        xDay[d + 1] = x;

        // Hashrate, blocks, difficulty: hashprice ∝ price / difficulty in force today.
        const src = d + 1 - lag;
        const y = elasticity * (src > 0 ? xDay[src]! : 0) + hDrift[d + 1]!;
        dayHpFactor[j] = Math.exp(x - yRet);
        height += 144 * Math.exp(y - yRet);
        if (height >= nextRetarget) {
          yRet = y;
          nextRetarget = (Math.floor(height / retarget) + 1) * retarget;
        }

        // Power: log level reverts to the outlook; storms multiply it for a few days.
        if (sigL > 0) z += -kappa * z + sigL * rng.normal();
        if (stormLeft > 0) stormLeft--;
        else if (stormWait === 0) {
          stormLeft = stormLen;
          stormWait = geometricWait(rng, stormP);
        } else if (stormWait > 0) stormWait--;
        dayLevel[j] = powerBase * (z === 0 ? 1 : Math.exp(z)) * (stormLeft > 0 ? stormMult : 1);

        for (let l = 0; l < nl; l++) {
          if (d < loanFrom[l]! || d >= loanTo[l]! || x + lb > loanLogBarrier[l]!) continue;
          // Margin call: post free treasury BTC, then pay the loan down in cash, to the cure LTV.
          if (out.marginCallMonth[loanRow + l] === -1) out.marginCallMonth[loanRow + l] = m;
          const ln = model.btcLoans[l]!;
          const p = pBase * Math.exp(x);
          const post = Math.min(freeBtc, Math.max(0, loanBal[l]! / (ln.cureLtv * p) - loanPledged[l]!));
          freeBtc -= post;
          loanPledged[l] = loanPledged[l]! + post;
          const paydown = Math.max(0, loanBal[l]! - ln.cureLtv * loanPledged[l]! * p);
          loanBal[l] = loanBal[l]! - paydown;
          monthCure += paydown;
          out.cureCashUsd[loanRow + l] = out.cureCashUsd[loanRow + l]! + paydown;
          loanLogBarrier[l] = loanBal[l]! > 0 ? Math.log(loanBal[l]! / (loanPledged[l]! * ln.marginCallLtv)) : -Infinity;
        }
      }
      const price = pBase * Math.exp(x);
      monthEndPrice[m] = price;
      for (let l = 0; l < nl; l++) {
        balAtMonthEnd[l * M + m] = loanBal[l]!;
        pledgedAtMonthEnd[l * M + m] = loanPledged[l]!;
      }

      // The month's subsidy: the one in force for its last block.
      const last = Math.floor(height) - 1;
      const subsidy = 50 / 2 ** Math.floor(last / HALVING_INTERVAL);
      if (subsidy < startSubsidy && out.halvingMonth[i] === -1) out.halvingMonth[i] = m;
      const hpMonth = hpTrend[m]! * (feeShare + (1 - feeShare) * (startSubsidy > 0 ? subsidy / startSubsidy : 0));

      // Dispatch: each mining block, each day of the month.
      let miningRev = 0;
      let miningEnergy = 0;
      let restarts = 0;
      let hpSum = 0;
      let levelSum = 0;
      // Per block, the month's Σ hashprice × hours on, Σ level × shape of the hours on, Σ restarts.
      hpHours.fill(0);
      levelShape.fill(0);
      starts.fill(0);
      // One calendar month per model month: its hour shape holds for every day of it.
      const cal = calMonthOfDay[d - nDays]!;
      const sb = cal * 24;
      const s25 = cal * 25;
      const lo0 = sorted[sb]!;
      const hi0 = sorted[sb + 23]!;
      for (let j = 0; j < nDays; j++) {
        const hp = hpMonth * dayHpFactor[j]!;
        const level = dayLevel[j]!;
        hpSum += hp;
        levelSum += level;
        // Break-even ÷ level for block b is u × ratio_b; blocks go by falling ratio, so the
        // hours on only fall from one block to the next: walk k down instead of searching.
        const u = hp / level;
        let k = 24;
        for (let q = 0; q < nb; q++) {
          const b = byRatio[q]!;
          const t = u * bRatio[b]!;
          if (t < lo0) k = 0;
          else if (t < hi0) while (k > 0 && sorted[sb + k - 1]! > t) k--;
          hpHours[b] = hpHours[b]! + hp * k;
          levelShape[b] = levelShape[b]! + level * sumShape[s25 + k]!;
          starts[b] = starts[b]! + restartsTable[s25 + k]!;
        }
      }
      for (let b = 0; b < nb; b++) {
        const rev = hpHours[b]! * bPhsKept[b]!;
        const energy = levelShape[b]! * bWall[b]!;
        const restart = starts[b]! * bRestart[b]!;
        miningRev += rev;
        miningEnergy += energy;
        restarts += restart;
        monthMargin[b] = rev - energy - restart;
      }
      for (let b = 0; b < nb; b++) blockMargin[b * M + m] = monthMargin[b]!;
      let blockOpex = 0;
      for (let b = 0; b < nb; b++) blockOpex += bOpex[b]!;

      // The company's month.
      let rent = 0;
      for (let t = 0; t < nt; t++) {
        const tm = model.tenants[t]!;
        const r = tm.rentUsd[m]! + (tenantRenews[t] === 1 ? tm.renewalRentUsd[m]! : 0);
        rent += m < tenantDefault[t]! ? r : r * tm.recoveryShare;
      }
      let capex = 0;
      for (let c = 0; c < nconv; c++) {
        const cv = model.conversions[c]!;
        capex += cv.capexUsd[m]! * (1 + convOverrun[c]!);
        // A delayed block's tenant pays nothing until it is ready.
        if (cv.tenantIndex >= 0 && m >= cv.readyMonth && m < cv.readyMonth + convDelay[c]!) {
          const tm = model.tenants[cv.tenantIndex]!;
          rent -= m < tenantDefault[cv.tenantIndex]! ? tm.rentUsd[m]! : tm.rentUsd[m]! * tm.recoveryShare;
        }
      }
      const meanLevel = levelSum / nDays;
      const mining = miningRev - miningEnergy - restarts - blockOpex;
      const ai = rent - rent * model.aiOpexShare - model.aiEnergyMwh[m]! * meanLevel;
      const margin = mining + ai;
      const e = margin - model.gAndAUsd[m]!;
      ebitda[m] = e;
      prefixE[m + 1] = prefixE[m]! + e;
      const free = e - model.debtServiceUsd[m]! - capex - monthCure;
      cash += free;
      cured += monthCure;
      debtNow[m] = model.debtOutstandingUsd[m]! - cured;
      out.btcPriceUsd[row + m] = price;
      out.hashpriceUsdPerPhDay[row + m] = hpSum / nDays;
      out.marginUsd[row + m] = margin;
      out.ebitdaUsd[row + m] = e;
      out.freeCashUsd[row + m] = free;
      out.cashUsd[row + m] = cash;
    }

    // Forward windows [m, m + W): DSCR and net leverage, as the finance model tests them.
    for (let m = 0; m < M; m++) {
      if (m + W > M) {
        out.dscr[row + m] = NaN;
        continue;
      }
      const sumD = prefixD[m + W]! - prefixD[m]!;
      out.dscr[row + m] = sumD > 0 ? (prefixE[m + W]! - prefixE[m]!) / sumD : NaN;
    }
    for (let c = 0; c < nc; c++) {
      const cov = model.covenants[c]!;
      const base = (i * nc + c) * M;
      for (let t = 0; t < cov.testMonths.length; t++) {
        const m = cov.testMonths[t]!;
        let ok: boolean;
        if (cov.kind === 'min-dscr') {
          const v = out.dscr[row + m]!;
          ok = v !== v || v >= cov.threshold;
        } else if (cov.kind === 'min-liquidity-usd') {
          ok = out.cashUsd[row + m]! >= cov.threshold;
        } else if (cov.kind === 'max-net-leverage') {
          const annual = ((prefixE[m + W]! - prefixE[m]!) * 12) / W;
          const netDebt = debtNow[m]! - out.cashUsd[row + m]!;
          ok = annual > 0 ? netDebt / annual <= cov.threshold : netDebt <= 0;
        } else {
          // A loan the path cured: its balance and pledge on this path, never more than the schedule's balance.
          const l = cov.loanIndex;
          const balance = l >= 0 ? Math.min(cov.balanceUsd[t]!, balAtMonthEnd[l * M + m]!) : cov.balanceUsd[t]!;
          const collateral = (l >= 0 ? pledgedAtMonthEnd[l * M + m]! : cov.btcPledged) * monthEndPrice[m]!;
          ok = collateral > 0 && (balance / collateral) * 100 <= cov.threshold;
        }
        if (!ok) out.covenantBreach[base + m] = 1;
      }
    }

    // Decisions: keep the block mining, or convert it (capex with overrun, rent from a ready
    // month with delay, the tenant's default and recovery).
    for (let k = 0; k < nd; k++) {
      const dm = model.decisions[k]!;
      let keep = 0;
      let convert = 0;
      const ready = dm.readyMonth + decDelay[k]!;
      for (let m = 0; m < M; m++) {
        const df = model.discount[m]!;
        keep += df * (blockMargin[dm.blockIndex * M + m]! - bOpex[dm.blockIndex]!);
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

/** Days before the next event of daily probability q: failures before the first success, by inversion. */
function geometricWait(rng: Stream, q: number): number {
  if (q >= 1) return 0;
  return Math.floor(Math.log(rng.uniform()) / Math.log(1 - q));
}

/** First month of default for a monthly probability q (geometric, by inversion); one draw always, so streams stay aligned. */
function geometricMonth(rng: Stream, q: number): number {
  const u = rng.uniform();
  if (q <= 0) return 1 << 30;
  if (q >= 1) return 0;
  return Math.floor(Math.log(u) / Math.log(1 - q));
}
