import type { DispatchBlock, DispatchInput, DispatchInterval } from '../../services/scheduler/dispatch/input.ts';

/**
 * The 1 GW benchmark site: 1,000 blocks of 1 MW (900 mining in six fleet generations, 100
 * AI blocks under 10 contracts) over 288 five-minute intervals of a volatile day. Prices are
 * a seeded synthetic ERCOT-like day (evening ramp, two scarcity spikes, negative midday hours)
 * so the run is repeatable; they are a benchmark load, not a forecast.
 */

const FLEET = [
  { label: 'S21-XP', j: 13.5, share: 150 },
  { label: 'S21-Pro', j: 15, share: 150 },
  { label: 'S21', j: 17.5, share: 150 },
  { label: 'M60S', j: 18.5, share: 150 },
  { label: 'S19-XP', j: 21.5, share: 150 },
  { label: 'S19j-Pro', j: 29.5, share: 150 },
];

export function oneGigawattInput(intervals = 288): DispatchInput {
  const blocks: DispatchBlock[] = [];
  for (const f of FLEET) {
    for (let i = 0; i < f.share; i++) {
      blocks.push({
        kind: 'mining',
        id: `${f.label}-${String(i).padStart(3, '0')}`,
        overheadFactor: 1.05,
        segments: [{ label: f.label, minItMw: 0.55, maxItMw: 0.95, efficiencyJPerTh: f.j }],
        sleepItMw: 0.008,
        minOnIntervals: 3,
        minOffIntervals: 6,
        restartCostUsd: 30,
        initial: { on: true, intervalsInState: 100 },
      });
    }
  }
  for (let c = 0; c < 10; c++) {
    for (let i = 0; i < 10; i++) {
      blocks.push({
        kind: 'ai',
        id: `AI${c}-${i}`,
        contractId: `contract-${c}`,
        overheadFactor: 1.3,
        fullItMw: 0.75,
        floorItMw: c % 2 === 0 ? 0.75 * 0.8 : 0.75,
        maxCappedIntervals: c % 2 === 0 ? 24 : 0,
        // Lease: $140/kW-month of critical IT; GPU cloud: 750 GPUs (≈1 kW each with their share of the host) at $2.30/GPU-hour.
        revenueUsdPerHour: c % 3 === 0 ? (0.75 * 1000 * 140 * 12) / 8760 : 750 * 2.3,
        revenueScalesWithLoad: c % 3 !== 0,
      });
    }
  }
  const start = Date.UTC(2026, 7, 14, 5, 0); // a summer day, midnight Central
  const ivs: DispatchInterval[] = [];
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let t = 0; t < intervals; t++) {
    const hour = (t * 5) / 60;
    let price = 28 + 18 * Math.sin(((hour - 9) / 24) * 2 * Math.PI) + 10 * (rand() - 0.5);
    if (hour >= 11 && hour < 14) price -= 40; // solar glut
    if (hour >= 17 && hour < 20) price += 60 + 120 * rand();
    if (hour >= 18.5 && hour < 18.75) price = 2500 + 500 * rand(); // scarcity spike
    if (hour >= 20.25 && hour < 20.5) price = 900 + 200 * rand();
    ivs.push({ startMs: start + t * 300_000, priceUsdPerMwh: Number(price.toFixed(2)), hashpriceUsdPerPhDay: 48, fourCp: hour >= 16.5 && hour < 16.75 });
  }
  return {
    intervalMinutes: 5,
    intervals: ivs,
    site: { importLimitMw: 960, poolFee: 0.02, rampUpMwPerMin: 25, rampDownMwPerMin: 200, initialLoadMw: 940 },
    blocks,
  };
}
