import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { blockEconomics } from '../../services/inference/block-economics.ts';
import { loadAccelerators } from '../../services/inference/catalog.ts';
import { miningMarginUsdPerMwMonth, tokenCost } from '../../services/inference/token-economics.ts';

/** Cost per million tokens, mining margin and lease rent per MW against hand arithmetic. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const catalog = loadAccelerators();

describe('token economics', () => {
  test('the catalog has the five accelerators, each figure with a source', () => {
    assert.deepEqual([...catalog.keys()], ['H100-SXM', 'H200', 'B200', 'GB300-NVL72', 'Trainium3-UltraServer']);
    for (const [k, a] of catalog) {
      for (const f of [a.systemPowerW, a.systemPriceUsd, a.tokensPerSecPerAccelerator]) assert.ok(f.source.length > 10, `${k}: source`);
    }
  });

  test('H100 in 10 MW of IT at 50 USD/MWh: 0.140796 USD per million tokens', () => {
    const h100 = catalog.get('H100-SXM');
    assert.ok(h100);
    const c = tokenCost('H100-SXM', h100, { itMw: 10, overheadFactor: 1.2, powerPriceUsdPerMwh: 50, utilization: 0.7, depreciationYears: 5, opexPctOfCapexPerYear: 4 });
    // Systems: ⌊10,000,000 / 10,200⌋ = 980; GPUs 7,840; tokens/s 7,840 × 3,066 × 0.7 = 16,826,208.
    assert.equal(c.systems, 980);
    assert.equal(c.tokensPerSecond, 16_826_208);
    // Capex 980 × 300,000 = 294,000,000. Depreciation 294e6 / (5 × 8,760) = 6,712.328767 $/h.
    // Load 0.7 × 0.7 + 0.3 = 0.79; energy 980 × 10,200 W × 0.79 × 1.2 = 9.476208 MW × 50 = 473.8104 $/h.
    // Opex 294e6 × 4 % / 8,760 = 1,342.465753 $/h. Total 8,528.604921 $/h.
    // Million tokens per hour: 16,826,208 × 3,600 / 1e6 = 60,574.3488 → 8,528.604921 / 60,574.3488 = 0.1407957 $/M.
    assert.equal(c.depreciationUsdPerHour.toFixed(6), '6712.328767');
    assert.equal(c.energyUsdPerHour.toFixed(4), '473.8104');
    assert.equal(c.opexUsdPerHour.toFixed(6), '1342.465753');
    assert.equal(c.costUsdPerMillionTokens?.toFixed(7), '0.1407957');
  });

  test('mining margin per MW-month: S21 at 17.5 J/TH, hashprice 50, fee 2 %, 50 USD/MWh, overhead 1.05', () => {
    // PH/s per MW: 1000 / 17.5 = 57.142857. Power per PH-day: 24 × 17.5 × 50 × 1.05 / 1000 = 22.05.
    // Margin: 57.142857 × (50 × 0.98 − 22.05 = 26.95) × 30.4375 = 46,873.75 per MW-month.
    const m = miningMarginUsdPerMwMonth({ hashpriceUsdPerPhDay: 50, efficiencyJPerTh: 17.5, poolFee: 0.02, powerPriceUsdPerMwh: 50, overheadFactor: 1.05 });
    assert.equal(m.toFixed(2), '46873.75');
  });

  test('a block: tokens beside mining and lease; a rack that does not fit is null, not infinite', () => {
    const site = loadSiteFile(join(root, 'test/support/sites/small.yaml'));
    const e = blockEconomics(site, 'B3', catalog, { powerPriceUsdPerMwh: 50, hashpriceUsdPerPhDay: 50 });
    assert.equal(e.leaseRentUsdPerMwMonth, 140_000, '140 $/kW-month × 1,000');
    assert.ok((e.miningMarginUsdPerMwMonth ?? 0) > 0);
    const gb300 = e.tokens.find((t) => t.accelerator === 'GB300-NVL72');
    assert.equal(gb300?.systems, 0);
    assert.equal(gb300?.costUsdPerMillionTokens, null);
    assert.throws(() => blockEconomics(site, 'nope', catalog, { powerPriceUsdPerMwh: 50 }), /no block "nope"/);
    assert.throws(() => blockEconomics(site, 'B3', catalog), /give the power price/);
  });
});
