import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Reading } from '../../services/agent-contract/batch-schema.ts';
import { check } from '../../services/domain/schema.ts';
import { parseDcgmPage } from '../../agents/drivers/dcgm/parse.ts';
import { normaliseGpus } from '../../agents/drivers/nvidia-smi/normalise.ts';
import { parseCsv, parseCsvRows } from '../../agents/drivers/nvidia-smi/parse-csv.ts';
import { parseNvidiaXml } from '../../agents/drivers/nvidia-smi/parse-xml.ts';
import { list, read, repoRoot, skip } from '../support/nvidia-fixtures.ts';

/**
 * The three GPU sources (nvidia-smi CSV, nvidia-smi XML, dcgm-exporter) give the same
 * normalised readings: same names, same units, same values for the same GPU.
 * The dcgm page test/support/dcgm/h100-load.prom is HAND-BUILT from NVIDIA's documented
 * DCGM_FI_DEV_* names with the values of the recorded H100 CSV capture; it is not a capture.
 */
const ctx = { host: 'gpu-host-a01', atMs: 1_700_000_000_000 };
const DCGM_PAGE = readFileSync(join(repoRoot, 'test/support/dcgm/h100-load.prom'), 'utf8');
const H100_CSV = 'gpuexporter_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.csv';

/** Every metric a GPU reading may carry, whatever the source: one vocabulary. */
const GPU_METRICS = new Set([
  'power_w', 'power_average_w', 'power_instant_w', 'power_limit_w', 'power_limit_requested_w', 'power_limit_default_w',
  'power_limit_min_w', 'power_limit_max_w', 'temp_c', 'memory_temp_c', 'utilization_pct', 'memory_utilization_pct',
  'memory_used_bytes', 'memory_total_bytes', 'sm_clock_hz', 'graphics_clock_hz', 'memory_clock_hz', 'fan_pct',
  'ecc_corrected_volatile_count', 'ecc_uncorrected_volatile_count', 'ecc_corrected_aggregate_count', 'ecc_uncorrected_aggregate_count',
  'retired_pages_sbe_count', 'retired_pages_dbe_count', 'remapped_rows_correctable_count', 'remapped_rows_uncorrectable_count',
  'xid_last_code', 'multiprocessor_count',
]);

function valid(readings: unknown[]): Reading[] {
  return readings.map((r, i) => check(Reading, r, `reading ${i}`));
}

function inVocabulary(r: Reading, what: string): void {
  for (const [k, v] of Object.entries(r.metrics)) {
    assert.ok(GPU_METRICS.has(k), `${what}: metric ${k} is not in the GPU vocabulary`);
    assert.ok(Number.isFinite(v), `${what}: ${k}`);
    if (k.endsWith('_pct')) assert.ok(v >= 0 && v <= 100, `${what}: ${k}=${v}`);
    if (k.endsWith('_count')) assert.ok(Number.isSafeInteger(v) && v >= 0, `${what}: ${k}=${v}`);
    if (k.endsWith('_hz') && k.includes('clock')) assert.ok(v >= 1e6 || v === 0, `${what}: ${k}=${v} is in Hz`);
    if (k.endsWith('_bytes')) assert.ok(v >= 1024 * 1024 || v === 0, `${what}: ${k}=${v} is in bytes`);
  }
}

describe('GPU sources agree', { skip }, () => {
  test('every CSV and XML recording gives readings in the one vocabulary, with ECC where the GPU reports it', () => {
    let eccSeen = 0;
    for (const f of list('csv', '.csv')) {
      for (const r of valid(normaliseGpus(parseCsv(read('csv', f)), ctx))) {
        inVocabulary(r, f);
        if (r.metrics.ecc_corrected_volatile_count !== undefined) eccSeen++;
      }
    }
    for (const f of list('xml', '.xml')) {
      for (const r of valid(normaliseGpus(parseNvidiaXml(read('xml', f)).gpus, ctx))) {
        inVocabulary(r, f);
        if (r.metrics.ecc_corrected_volatile_count !== undefined) eccSeen++;
      }
    }
    // H100, H100 MIG and L40S CSV (idle + load) = 6; A10G and T4 XML report sram/dram counts = 2.
    assert.equal(eccSeen, 8);
  });

  test('ECC, retired pages and remapped rows as recorded (H100 CSV, A10G XML, RTX 4080 without ECC)', () => {
    const h100 = valid(normaliseGpus(parseCsv(read('csv', H100_CSV)), ctx))[0] as Reading;
    assert.equal(h100.metrics.ecc_uncorrected_aggregate_count, 0);
    assert.equal(h100.metrics.remapped_rows_uncorrectable_count, 0);
    assert.equal(h100.metrics.retired_pages_dbe_count, undefined, 'H100 reports [N/A] retired pages (rows are remapped instead)');
    assert.equal(h100.labels?.ecc_mode, 'Enabled');
    assert.equal(h100.labels?.remapped_rows_pending, 'no');
    const a10g = valid(normaliseGpus(parseNvidiaXml(read('xml', 'telegraf_a10g.xml')).gpus, ctx))[0] as Reading;
    assert.equal(a10g.metrics.ecc_corrected_volatile_count, 0);
    assert.equal(a10g.metrics.remapped_rows_correctable_count, 0);
    assert.equal(a10g.labels?.remapped_rows_failure, 'no');
    const rtx = valid(normaliseGpus(parseCsv(read('csv', 'gpuexporter_linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__load.csv')), ctx))[0] as Reading;
    assert.equal(rtx.metrics.ecc_corrected_volatile_count, undefined, 'no ECC on a GeForce: absent, not 0');
  });

  test('the dcgm-exporter page of the H100 gives the same reading as its nvidia-smi CSV, field for field', () => {
    const csv = valid(normaliseGpus(parseCsv(read('csv', H100_CSV)), ctx))[0] as Reading;
    const parsed = parseDcgmPage(DCGM_PAGE);
    assert.deepEqual(parsed.errors, []);
    const dcgm = valid(normaliseGpus(parsed.gpus, ctx));
    assert.equal(dcgm.length, 1);
    const d = dcgm[0] as Reading;
    inVocabulary(d, 'dcgm');
    assert.equal(d.deviceId, csv.deviceId);
    const shared = Object.keys(d.metrics).filter((k) => k in csv.metrics);
    for (const k of ['power_w', 'power_limit_w', 'power_limit_requested_w', 'temp_c', 'memory_temp_c', 'utilization_pct', 'memory_utilization_pct',
      'memory_used_bytes', 'memory_total_bytes', 'sm_clock_hz', 'memory_clock_hz', 'ecc_corrected_volatile_count', 'ecc_uncorrected_volatile_count',
      'ecc_corrected_aggregate_count', 'ecc_uncorrected_aggregate_count', 'remapped_rows_correctable_count', 'remapped_rows_uncorrectable_count']) {
      assert.ok(shared.includes(k), `both sources give ${k}`);
    }
    for (const k of shared) assert.equal(d.metrics[k], csv.metrics[k], k);
    for (const k of ['model', 'uuid', 'index', 'pci_bus_id', 'driver', 'throttle_reasons', 'remapped_rows_pending', 'remapped_rows_failure']) {
      assert.equal(d.labels?.[k], csv.labels?.[k], `label ${k}`);
    }
    // Only dcgm knows XIDs; only nvidia-smi knows the pstate and the graphics clock.
    assert.equal(d.metrics.xid_last_code, 0);
    assert.equal(csv.metrics.xid_last_code, undefined);
  });

  test('a malformed dcgm line is one clear error and loses nothing else', () => {
    const lines = DCGM_PAGE.split('\n');
    const at = lines.findIndex((l) => l.startsWith('DCGM_FI_DEV_GPU_TEMP{'));
    lines[at] = 'DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-0 59';
    const parsed = parseDcgmPage(lines.join('\n'));
    assert.equal(parsed.errors.length, 1);
    assert.match(parsed.errors[0] as string, new RegExp(`^dcgm-exporter line ${at + 1}: not a Prometheus sample: "DCGM_FI_DEV_GPU_TEMP`));
    const d = normaliseGpus(parsed.gpus, ctx)[0] as Reading;
    const whole = normaliseGpus(parseDcgmPage(DCGM_PAGE).gpus, ctx)[0] as Reading;
    const { temp_c: _lost, ...rest } = whole.metrics;
    assert.deepEqual(d.metrics, rest, 'every other field is still read');
    const bad = parseDcgmPage('DCGM_FI_DEV_POWER_USAGE{gpu="x"} 5\nDCGM_FI_DEV_POWER_USAGE{gpu="1"} 300\n');
    assert.deepEqual(bad.errors, ['dcgm-exporter DCGM_FI_DEV_POWER_USAGE{gpu="x"}: no usable gpu label']);
    assert.equal(bad.gpus[0]?.powerW, 300);
  });

  test('a malformed nvidia-smi CSV row is one clear error and loses nothing else', () => {
    const text = read('csv', H100_CSV).trimEnd().split('\n');
    const header = text[0] as string;
    const row = text[1] as string;
    const row2 = row.replace(/^([^,]*,[^,]*,[^,]*,)\s*1,/, '$1 1,').replace(', 0, [Requested', ', 1, [Requested');
    const parsed = parseCsvRows([header, row, 'GPU 1: fell off the bus', row2.replace('631.95 W', '630 MHz'), row2].join('\n'));
    assert.deepEqual(parsed.errors.map((e) => e.replace(/:.*$/, '')), ['nvidia-smi CSV line 3', 'nvidia-smi CSV line 4, power.draw']);
    assert.equal(parsed.gpus.length, 2);
    assert.deepEqual(parsed.gpus.map((g) => g.index), [0, 1]);
  });

  test('MIG instances from dcgm-exporter (GPU_I_ID) become readings under their GPU', () => {
    const page = [
      'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-1b2c",modelName="NVIDIA H100 80GB HBM3"} 100',
      'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-1b2c",modelName="NVIDIA H100 80GB HBM3",GPU_I_PROFILE="1g.10gb",GPU_I_ID="9"} 13',
      'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS{gpu="0",UUID="GPU-1b2c"} 68',
      'DCGM_FI_DEV_XID_ERRORS{gpu="0",UUID="GPU-1b2c"} 79',
    ].join('\n');
    const readings = valid(normaliseGpus(parseDcgmPage(page).gpus, ctx));
    assert.deepEqual(readings.map((r) => r.deviceId), ['GPU-1b2c', 'GPU-1b2c/mig-gi9-cix']);
    assert.equal(readings[1]?.metrics.memory_used_bytes, 13 * 1024 * 1024);
    assert.equal(readings[0]?.labels?.throttle_reasons, 'sw_power_cap,hw_thermal_slowdown', '0x44 = 0x4 | 0x40');
    assert.equal(readings[0]?.metrics.xid_last_code, 79);
  });
});
