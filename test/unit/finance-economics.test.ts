import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { aiLoadItMw, contractGrossMw } from '../../services/finance/ai-load.ts';
import { forwardAt, forwardBase } from '../../services/finance/forward.ts';
import { loadCompanyFile } from '../../services/finance/load-company.ts';
import { HOURS_PER_MONTH } from '../../services/finance/months.ts';
import { siteDispatchInput } from '../../services/scheduler/site-input.ts';
import { existingContractNoiUsd } from '../../services/scheduler/strategic/site-flows.ts';
import type { AiBlock } from '../../services/scheduler/dispatch/input.ts';

/**
 * The economics made true (issue 11 "First"): contracts earn only inside their term, and AI
 * power is one treatment everywhere — who pays it per contract, on the utilisation-scaled load.
 */

const demo = loadSiteFile('infra/sites/demo.yaml');
const hourly = (startIso: string, n: number) => Array.from({ length: n }, (_, i) => ({ startMs: Date.parse(startIso) + i * 3_600_000, minutes: 60, priceUsdPerMwh: 30 }));

test('February 2021 (Winter Storm Uri): the AI halls have no contract in term, so no rent and no load', () => {
  const { input, excluded } = siteDispatchInput(demo, { prices: hourly('2021-02-15T00:00:00Z', 24), hashprice: 40, intervalMinutes: 60 });
  assert.deepEqual(
    excluded.filter((e) => e.blockId === 'B7' || e.blockId === 'B8'),
    [
      { blockId: 'B7', reason: 'contract colo-1 is not in its term (2025-07-01 to 2040-07-01)' },
      { blockId: 'B8', reason: 'contract cloud-1 is not in its term (2025-10-01 to 2028-10-01)' },
    ],
  );
  assert.equal(input.blocks.some((b) => b.kind === 'ai'), false);
});

test('December 2026: AI load is utilisation-scaled, colocation passes power through, GPU cloud pays it', () => {
  const { input } = siteDispatchInput(demo, { prices: hourly('2026-12-01T00:00:00Z', 24), hashprice: 40, intervalMinutes: 60 });
  const b7 = input.blocks.find((b) => b.id === 'B7') as AiBlock;
  const b8 = input.blocks.find((b) => b.id === 'B8') as AiBlock;
  // B7: H100 8,000 × 10,200/8 W × 0.85 = 8.670 MW; H200 8,000 × 1,275 W × 0.9 = 9.180 MW;
  // GB200 NVL72 8,640 × 132,000/72 W × 0.9 = 14.256 MW → 32.106 MW of IT (nameplate 36.24).
  assert.equal(Math.round(b7.fullItMw * 1000) / 1000, 32.106);
  assert.equal(b7.energyPassThrough, true);
  // B8: B200 2,000 × 14,300/8 W × 0.85 = 3.03875 MW; GPU cloud: the operator pays the power.
  assert.equal(Math.round(b8.fullItMw * 1e5) / 1e5, 3.03875);
  assert.equal(b8.energyPassThrough, false);
  assert.equal(b7.termStartMs, Date.parse('2025-07-01T00:00:00Z'));
  assert.equal(b7.termEndMs, Date.parse('2040-07-01T00:00:00Z'));
  assert.equal(aiLoadItMw(demo.blocks.find((b) => b.id === 'B8')!), b8.fullItMw);
});

test('allocation: the GPU-cloud contract pays its power from the load, the lease passes it through', () => {
  // cloud-1 on B8: 3.03875 MW IT × 1.25 overhead = 3.7984375 MW gross; a month at $40/MWh costs
  // 3.7984375 × 730.5 h × 40 = 110,990.34. Revenue 2,000 × 3.2 × 0.85 × 730.5 = 3,973,920.00,
  // kept 75 % after the 25 % upkeep share → 2,980,440.00; NOI 2,980,440.00 − 110,990.34 = 2,869,449.66.
  // colo-1 passes power through: only its rent less 15 % opex (year 2 from 2026-07: 140 × 1.03 ×
  // 37,500 kW × 0.85 = 4,596,375.00).
  assert.equal(Math.round(contractGrossMw(demo, 'cloud-1') * 1e7) / 1e7, 3.7984375);
  const onlyCloud = { ...demo, contracts: demo.contracts.filter((c) => c.id === 'cloud-1') };
  const onlyColo = { ...demo, contracts: demo.contracts.filter((c) => c.id === 'colo-1') };
  const opex = { colocationOpexPctOfRevenue: 15, gpuCloudOpexPctOfRevenue: 25 };
  const cloud = existingContractNoiUsd(onlyCloud, '2026-12', 1, opex, [40]);
  assert.equal(Math.round(cloud[0]! * 100) / 100, 2_869_449.66);
  assert.equal(HOURS_PER_MONTH, 730.5);
  const colo = existingContractNoiUsd(onlyColo, '2026-12', 1, opex, [40]);
  assert.equal(Math.round(colo[0]! * 100) / 100, 4_596_375);
});

test('forward model, December 2026 on the demo company: AI rent by term, operator-paid power, committed capex', () => {
  const base = forwardBase(loadCompanyFile('infra/sites/demo-company.yaml'), { nowMs: Date.parse('2026-12-05T00:00:00Z') });
  assert.equal(base.startMonth, '2026-12');
  // colo-1, contract year 2 (2026-07-01 … 2027-06-30): 140 × 1.03 × 37,500 kW = 5,407,500.00;
  // cloud-1: 2,000 × 3.2 × 0.85 × 24 × 31 = 4,047,360.00 → rent 9,454,860.00, opex 10 % 945,486.00.
  assert.equal(Math.round(base.aiRentUsd[0]! * 100) / 100, 9_454_860);
  assert.equal(Math.round(base.aiOpexUsd[0]! * 100) / 100, 945_486);
  // cloud-1 pays its power: 3.7984375 MW × 744 h × $38 = 107,389.425 (colo-1 passes it through).
  assert.ok(Math.abs(base.aiEnergyUsd[0]! - 107_389.425) < 1e-6, String(base.aiEnergyUsd[0]));
  // B6's conversion was ready 2026-10-31, before the model starts: nothing left to pay.
  assert.deepEqual(base.committedCapexUsd.filter((x) => x !== 0), []);
  // Debt service in December 2026: TL-1 12,500,000 principal + 175M × 9.5 % / 4 = 4,156,250
  // interest (12-31); CN-2031 400M × 2.75 % / 2 = 5,500,000 (12-15); BTC-LOAN-1 60M × 7.5 % / 12
  // = 375,000 (12-01) → 22,531,250.00.
  assert.equal(Math.round(base.debtServiceUsd[0]! * 100) / 100, 22_531_250);
  const rows = forwardAt(base, 1);
  assert.equal(rows[0]!.month, '2026-12');
});

test('fees per block: how many days came from chain data and how many from the stated fallback', async () => {
  const { feesUsed } = await import('../../services/scheduler/backtest/backtest.ts');
  const day = (d: number, feesSource: 'chain' | 'assumed', feesPerBlockBtc: number) =>
    ({ dayStartMs: Date.UTC(2021, 1, d), height: 0, subsidyBtc: 6.25, feesPerBlockBtc, feesSource, difficulty: 1, difficultySource: 'difficulty', btcPriceUsd: 1, hashpriceUsdPerPhDay: 1 }) as const;
  const chain = [day(14, 'chain', 0.9), day(15, 'assumed', 0.25), day(16, 'assumed', 0.25), day(17, 'chain', 1.1)];
  // 15 Feb 06:00 → 17 Feb 06:00 touches the 15th, 16th and 17th.
  assert.deepEqual(feesUsed(chain, Date.UTC(2021, 1, 15, 6), Date.UTC(2021, 1, 17, 6)), { chainDays: 1, assumedDays: 2, assumedFeesPerBlockBtc: 0.25 });
  assert.deepEqual(feesUsed(chain, Date.UTC(2021, 1, 14), Date.UTC(2021, 1, 15)), { chainDays: 1, assumedDays: 0, assumedFeesPerBlockBtc: null });
});
