// The one-folder Modbus addition: an ABB B23 meter is agents/profiles/modbus/abb-b23.yaml
// (plus a row in agents/drivers/modbus/README.md), nothing else. Here it is checked against
// the recorded register map and read through the agent's own meter tier, as the registry
// builds it, from a pymodbus server holding hand-encoded register values.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { logger } from '../../services/lib/log.ts';
import { loadProfile } from '../../agents/drivers/modbus/profile.ts';
import { planReads } from '../../agents/drivers/modbus/read.ts';
import { driverFor } from '../../agents/drivers/registry.ts';
import { pollTier } from '../../agents/poll-tier.ts';
import { wireWords } from '../support/modbus-encode.ts';
import { startModbusServer, type RunningModbusServer, type UnitTables } from '../support/modbus-server.ts';
import { requireFixtures } from '../support/fixtures.ts';
import { requireServiceEnv } from '../support/service-env.ts';

const FIXTURES = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/fixtures/modbus');
const fixtureSkip = requireFixtures(FIXTURES);
const python = requireServiceEnv('SWITCHYARD_TEST_PYTHON');

describe('abb-b23 matches the recorded ABB A/B-series map (mbmd abb.go)', { skip: fixtureSkip }, () => {
  test('every register: address, FC03, integer type and resolution as recorded', () => {
    const MBMD: Record<string, string> = {
      Import: 'energy_wh', Export: 'energy_export_wh',
      VoltageL1: 'voltage_an_v', VoltageL2: 'voltage_bn_v', VoltageL3: 'voltage_cn_v',
      CurrentL1: 'current_a_a', CurrentL2: 'current_b_a', CurrentL3: 'current_c_a',
      Power: 'power_w', PowerL1: 'power_a_w', PowerL2: 'power_b_w', PowerL3: 'power_c_w',
      Frequency: 'frequency_hz', Cosphi: 'power_factor', CosphiL1: 'power_factor_a', CosphiL2: 'power_factor_b', CosphiL3: 'power_factor_c',
    };
    const rows = readFileSync(resolve(FIXTURES, 'mbmd_register_maps_derived.csv'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('ABB A/B-series'))
      .map((l) => l.split(','));
    const profile = loadProfile('abb-b23');
    let checked = 0;
    for (const [, , measurement = '', address = '', , fc = '', type = '', , divisor = ''] of rows) {
      const metric = MBMD[measurement];
      if (metric === undefined) continue; // per-phase energies: not in the profile
      const def = profile.registers.find((r) => r.metric === metric);
      assert.ok(def, `${metric} (${measurement}) is in the profile`);
      assert.equal(def.register, Number(address), metric);
      assert.ok(fc.startsWith('FC03') && def.function === 'holding', `${metric}: FC03`);
      assert.equal(def.type, type.replace(/ BE$/, ''), `${metric} type`);
      // mbmd divides by the resolution into V, A, W, Hz, ratio and kWh; we keep Wh.
      const intoSi = metric.endsWith('_wh') ? 1000 : 1;
      assert.equal(def.scale, intoSi / Number(divisor), `${metric} resolution`);
      checked++;
    }
    assert.equal(checked, profile.registers.length);
  });
});

if (python !== undefined) {
  describe('an ABB B23 read through the agent meter tier from a pymodbus server', () => {
    const UNIT = 7;
    let server: RunningModbusServer;
    before(async () => {
      const t: UnitTables = { holding: new Map(), input: new Map() };
      // Zeros across every planned block (a real meter answers the gaps), then the values.
      for (const b of planReads(loadProfile('abb-b23'))) for (let a = b.start; a < b.start + b.count; a++) t.holding.set(a, 0);
      const put = (register: number, raw: number | bigint, type: Parameters<typeof wireWords>[1]) =>
        wireWords(raw, type, 'ABCD').forEach((w, k) => t.holding.set(register + k, w));
      put(20480, 123_456_789n, 'uint64'); // Import 1,234,567.89 kWh
      put(20484, 0xffff_ffff_ffff_ffffn, 'uint64'); // Export: not available
      put(23296, 2301, 'uint32'); // 230.1 V
      put(23298, 2315, 'uint32'); // 231.5 V
      put(23300, 2298, 'uint32'); // 229.8 V
      put(23308, 1234, 'uint32'); // 12.34 A
      put(23310, 1250, 'uint32'); // 12.50 A
      put(23312, 1199, 'uint32'); // 11.99 A
      put(23316, 850_000, 'int32'); // 8,500.00 W
      put(23318, 290_000, 'int32'); // 2,900.00 W
      put(23320, 572_345, 'int32'); // 5,723.45 W
      put(23322, -12_345, 'int32'); // -123.45 W (exporting)
      put(23340, 5002, 'uint16'); // 50.02 Hz
      put(23354, 987, 'int16'); // 0.987
      put(23355, -950, 'int16'); // -0.950
      put(23356, 1000, 'int16'); // 1.000
      put(23357, 0x7fff, 'uint16'); // CosphiL3: not available
      server = await startModbusServer(python, new Map([[UNIT, t]]));
    });
    after(() => server?.stop());

    test('one poll gives the hand-checked values, not-available registers left out', async () => {
      const entry = driverFor('modbus');
      assert.ok(entry);
      const meter = { id: 'M-ABB', role: 'block' as const, blockId: 'B1', host: '127.0.0.1', port: server.port, unitId: UNIT, profile: 'abb-b23' };
      const tier = entry.tier({ meters: [meter], meterIntervalMs: 1000, meterTimeoutMs: 2000 }, logger('test'));
      assert.ok(tier);
      const readings: Reading[] = [];
      try {
        await pollTier(tier.driver, tier.targets, { timeoutMs: tier.timeoutMs, concurrency: tier.concurrency }, (r) => readings.push(r));
      } finally {
        await tier.close?.();
      }
      assert.equal(readings.length, 1);
      const [r] = readings as [Reading];
      assert.equal(r.status, 'online', r.error);
      assert.equal(r.kind, 'meter');
      assert.equal(r.blockId, 'B1');
      assert.equal(r.error, undefined);
      // raw × resolution, written out: Wh = 0.01 kWh × 10; W = 0.01 W; V = 0.1 V; A = 0.01 A.
      const expected: Record<string, number> = {
        energy_wh: 123_456_789 * 10, // 1,234,567,890 Wh
        voltage_an_v: 230.1, voltage_bn_v: 231.5, voltage_cn_v: 229.8,
        current_a_a: 12.34, current_b_a: 12.5, current_c_a: 11.99,
        power_w: 8500, power_a_w: 2900, power_b_w: 5723.45, power_c_w: -123.45,
        frequency_hz: 50.02,
        power_factor: 0.987, power_factor_a: -0.95, power_factor_b: 1,
      };
      assert.deepEqual(Object.keys(r.metrics).sort(), Object.keys(expected).sort(), 'energy_export_wh and power_factor_c (not available) are left out');
      for (const [metric, value] of Object.entries(expected)) {
        assert.ok(Math.abs((r.metrics[metric] as number) - value) < 1e-9 * Math.max(1, Math.abs(value)), `${metric}: ${r.metrics[metric]} vs ${value}`);
      }
      // The phases add up to the total, as the meter's own registers do: 2900 + 5723.45 − 123.45.
      assert.ok(Math.abs(r.metrics.power_a_w! + r.metrics.power_b_w! + r.metrics.power_c_w! - r.metrics.power_w!) < 1e-6);
    });
  });
}
