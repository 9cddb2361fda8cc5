import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSpotCsv, planSpot, uncontractedGpus } from '../../services/inference/spot-gpu.ts';

describe('spot GPU market', () => {
  test('offers the hours whose price covers energy and opex; margin to the cent', () => {
    const prices = parseSpotCsv('timestamp,price_usd_per_gpu_hour\n2026-12-01T00:00:00Z,0.80\n2026-12-01T01:00:00Z,0.12\n2026-12-01T02:00:00Z,2.10\n', 'spot.csv');
    // Marginal cost: 1,275 W × 1.2 × 60 $/MWh / 1e6 = 0.0918 $/GPU-h energy + 0.05 opex = 0.1418.
    // Hour 2 (0.12) is below it. Sold: 2 hours × 100 GPUs × 0.9 fill = 180 GPU-hours.
    // Revenue: 90 × 0.80 + 90 × 2.10 = 72 + 189 = 261.00; cost 180 × 0.1418 = 25.524; margin 235.476.
    const p = planSpot({ prices, gpus: 100, powerPerGpuW: 1275, overheadFactor: 1.2, powerPriceUsdPerMwh: 60, opexUsdPerGpuHour: 0.05, fillRate: 0.9 });
    assert.equal(p.marginalCostUsdPerGpuHour.toFixed(4), '0.1418');
    assert.deepEqual(p.schedule.map((h) => h.offer), [true, false, true]);
    assert.equal(p.gpuHoursSold, 180);
    assert.equal(p.revenueUsd.toFixed(2), '261.00');
    assert.equal(p.marginUsd.toFixed(3), '235.476');
  });

  test('a bad row is an error naming its line', () => {
    assert.throws(() => parseSpotCsv('2026-12-01T00:00:00Z,0.8\nnot a row\n', 'spot.csv'), /spot\.csv line 2: expected timestamp,price_usd_per_gpu_hour/);
  });

  test('uncontracted GPUs: all of a block without a contract, none of a colocation block, the rest of a GPU-cloud block', () => {
    const site = {
      blocks: [
        { id: 'X', gpus: [{ count: 16 }] },
        { id: 'C', contractId: 'colo', gpus: [{ count: 16 }] },
        { id: 'G', contractId: 'cloud', gpus: [{ count: 10 }, { count: 6 }] },
      ],
      contracts: [{ id: 'colo', kind: 'colocation' }, { id: 'cloud', kind: 'gpu-cloud', gpuCount: 12 }],
    };
    assert.deepEqual(['X', 'C', 'G'].map((b) => uncontractedGpus(site, b)), [16, 0, 4]);
  });
});
