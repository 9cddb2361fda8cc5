import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reading } from '../../services/agent-contract/batch-schema.ts';
import { check } from '../../services/domain/schema.ts';
import { normaliseGpus } from '../../agents/drivers/nvidia-smi/normalise.ts';
import { parseCsv } from '../../agents/drivers/nvidia-smi/parse-csv.ts';
import { parseNvidiaXml } from '../../agents/drivers/nvidia-smi/parse-xml.ts';
import { NvidiaParseError } from '../../agents/drivers/nvidia-smi/sample.ts';
import { list, read, skip } from '../support/nvidia-fixtures.ts';

/** Every nvidia-smi recording in ../shared/fixtures/nvidia parses to valid readings. */
const ctx = { host: 'rig1', atMs: 1_700_000_000_000 };

function valid(readings: unknown[]): Reading[] {
  return readings.map((r, i) => check(Reading, r, `reading ${i}`));
}

/** The `--query-gpu … --format=csv` sections of a gpuexporter capture, by phase (idle, load). */
function captureCsvSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^# (\w+) :: query-gpu \(csv[^\n]*\n# \$ [^\n]*\n#{20,}\n([\s\S]*?)(?=\n#{20,}|(?![\s\S]))/gm;
  for (const m of text.matchAll(re)) out.set(m[1] as string, (m[2] as string).trim());
  return out;
}

describe('nvidia-smi parsers on every recording', { skip }, () => {
  test('every CSV recording → one valid GPU reading with power, limits and temperature', () => {
    const files = list('csv', '.csv');
    assert.equal(files.length, 8, `recordings: ${files.join(', ')}`);
    for (const f of files) {
      const readings = valid(normaliseGpus(parseCsv(read('csv', f)), ctx));
      assert.equal(readings.length, 1, f);
      const r = readings[0] as Reading;
      for (const m of ['power_w', 'power_limit_w', 'power_limit_min_w', 'power_limit_max_w', 'temp_c', 'memory_used_bytes', 'sm_clock_hz']) {
        assert.ok(Number.isFinite(r.metrics[m]), `${f}: ${m}`);
      }
      assert.equal(r.kind, 'gpu');
      assert.equal(r.deviceId, 'rig1/gpu0', `${f}: masked UUID falls back to host + index`);
      assert.ok(r.labels?.throttle_reasons, `${f}: throttle reasons`);
    }
  });

  test('CSV spot checks: H100 under load, H100 MIG, RTX 4080 idle', () => {
    const h100 = valid(normaliseGpus(parseCsv(read('csv', 'gpuexporter_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.csv')), ctx))[0] as Reading;
    assert.equal(h100.metrics.power_w, 631.95);
    assert.equal(h100.metrics.power_instant_w, 625.68);
    assert.equal(h100.metrics.power_limit_w, 700);
    assert.equal(h100.metrics.power_limit_min_w, 200);
    assert.equal(h100.metrics.temp_c, 59);
    assert.equal(h100.metrics.utilization_pct, 100);
    assert.equal(h100.metrics.memory_used_bytes, 19818 * 1024 * 1024);
    assert.equal(h100.metrics.sm_clock_hz, 1980e6);
    assert.equal(h100.labels?.model, 'NVIDIA H100 80GB HBM3');
    assert.equal(h100.labels?.throttle_reasons, 'none');

    const mig = valid(normaliseGpus(parseCsv(read('csv', 'gpuexporter_linux-x86_64__nvidia-h100-mig__590.48.01__load.csv')), ctx))[0] as Reading;
    assert.equal(mig.labels?.mig_mode, 'Enabled');
    assert.equal(mig.metrics.power_w, 433.78);
    assert.equal('utilization_pct' in mig.metrics, false, 'utilization is [N/A] under MIG: absent, not 0');

    const idle = valid(normaliseGpus(parseCsv(read('csv', 'gpuexporter_linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__idle.csv')), ctx))[0] as Reading;
    assert.equal(idle.metrics.power_w, 26.2);
    assert.equal(idle.labels?.throttle_reasons, 'gpu_idle');
    assert.equal('memory_temp_c' in idle.metrics, false, 'temperature.memory N/A: absent');
  });

  test('every XML recording → valid readings, by its schema version', () => {
    const files = list('xml', '.xml');
    assert.equal(files.length, 8, `recordings: ${files.join(', ')}`);
    const versions: Record<string, number> = {};
    for (const f of files) {
      const parsed = parseNvidiaXml(read('xml', f));
      versions[f] = parsed.schemaVersion;
      const readings = valid(normaliseGpus(parsed.gpus, ctx));
      assert.equal(readings.length, f.includes('dual') ? 2 : 1, f);
      for (const r of readings) {
        for (const m of ['power_w', 'power_limit_w', 'temp_c', 'memory_used_bytes', 'sm_clock_hz']) assert.ok(Number.isFinite(r.metrics[m]), `${f}: ${m}`);
      }
    }
    assert.deepEqual(versions, {
      'telegraf_3090-v13.xml': 13,
      'telegraf_a10g.xml': 11,
      'telegraf_dual_a5000-v13.xml': 13,
      'telegraf_quadro-p2000-v12.xml': 12,
      'telegraf_rtx-3080-v13.xml': 13,
      'telegraf_rtx-3090-v12.xml': 12,
      'telegraf_rtx-4000-sff-ada-v13.xml': 13,
      'telegraf_tesla-t4.xml': 11,
    });
  });

  test('XML spot checks: v11 power_draw, v12 enforced limit, v13 average/instant and event reasons, two GPUs', () => {
    const a10g = normaliseGpus(parseNvidiaXml(read('xml', 'telegraf_a10g.xml')).gpus, ctx)[0] as Reading;
    assert.equal(a10g.deviceId, 'GPU-9a9a6c50-2a47-2f51-a902-b82c3b127e94');
    assert.equal(a10g.metrics.power_w, 25.58);
    assert.equal(a10g.metrics.power_limit_w, 300);
    assert.equal(a10g.metrics.temp_c, 17);
    assert.equal(a10g.labels?.throttle_reasons, 'gpu_idle');
    assert.equal('power_instant_w' in a10g.metrics, false);

    const r3090v12 = normaliseGpus(parseNvidiaXml(read('xml', 'telegraf_rtx-3090-v12.xml')).gpus, ctx)[0] as Reading;
    assert.equal(r3090v12.metrics.power_w, 27.23);
    assert.equal(r3090v12.metrics.power_limit_w, 200, 'enforced, not the 350 W default');
    assert.equal(r3090v12.metrics.power_limit_default_w, 350);

    const r3090v13 = normaliseGpus(parseNvidiaXml(read('xml', 'telegraf_3090-v13.xml')).gpus, ctx)[0] as Reading;
    assert.equal(r3090v13.metrics.power_w, 35.06, 'average_power_draw');
    assert.equal(r3090v13.metrics.power_instant_w, 35.15);
    assert.equal(r3090v13.metrics.power_limit_max_w, 480);
    assert.equal(r3090v13.labels?.throttle_reasons, 'sw_power_cap', 'from clocks_event_reasons');

    const dual = normaliseGpus(parseNvidiaXml(read('xml', 'telegraf_dual_a5000-v13.xml')).gpus, ctx);
    assert.deepEqual(dual.map((r) => r.labels?.index), ['0', '1']);
    assert.equal(new Set(dual.map((r) => r.deviceId)).size, 2);
  });

  test('the CSV sections of every full capture parse (idle and load)', () => {
    const files = list('captures', '.txt');
    assert.equal(files.length, 4, `captures: ${files.join(', ')}`);
    for (const f of files) {
      const sections = captureCsvSections(read('captures', f));
      assert.deepEqual([...sections.keys()].sort(), ['idle', 'load'], f);
      for (const [phase, csv] of sections) {
        const readings = valid(normaliseGpus(parseCsv(csv), ctx));
        assert.equal(readings.length, 1, `${f} ${phase}`);
        assert.ok(Number.isFinite(readings[0]?.metrics.power_w), `${f} ${phase}: power_w`);
      }
    }
  });
});

describe('nvidia-smi parsers: edges', () => {
  test('[N/A], [Not Supported], [Unknown Error] are absent; a wrong unit or a short row is a clear error', () => {
    const header = 'index, uuid, power.draw [W], temperature.gpu, utilization.gpu [%], memory.used [MiB]';
    const [s] = parseCsv(`${header}\n0, GPU-1, [N/A], [Unknown Error], [Not Supported], 10 MiB\n`);
    assert.equal(s?.powerW, undefined);
    assert.equal(s?.tempC, undefined);
    assert.equal(s?.utilizationPct, undefined);
    assert.equal(s?.memoryUsedBytes, 10 * 1024 * 1024);
    assert.throws(() => parseCsv(`${header}\n0, GPU-1, 250 MHz, 40, 1 %, 10 MiB\n`), /line 2, power\.draw: "250 MHz" has unit MHz, the header says W/);
    assert.throws(() => parseCsv(`${header}\n0, GPU-1, 250 W\n`), /line 2: 3 fields, the header has 6/);
    assert.throws(() => parseCsv('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.'), NvidiaParseError);
    assert.throws(() => parseNvidiaXml('<?xml version="1.0" ?>\n<nvidia_smi_log></nvidia_smi_log>'), /no nvsmi_device_vNN\.dtd DOCTYPE/);
    assert.throws(() => parseNvidiaXml('<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v13.dtd">\n<nvidia_smi_log>\n<gpu>\n</nvidia_smi_log>'), /XML line 4: <\/nvidia_smi_log> closes <gpu>/);
  });

  test('MIG devices in -q -x become readings under their GPU (values from the H100 MIG capture)', () => {
    // No -q -x recording with MIG instances exists in the fixtures; this XML carries the values
    // of the H100 MIG capture's `-q` section (MIG device 0: GI 2, CI 0, 60 SMs, 11091 of 40448 MiB).
    const xml = `<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v13.dtd">
<nvidia_smi_log><driver_version>590.48.01</driver_version>
<gpu id="00000000:00:09.0"><product_name>NVIDIA H100 80GB HBM3</product_name><uuid>GPU-aaaa</uuid>
<mig_mode><current_mig>Enabled</current_mig><pending_mig>Enabled</pending_mig></mig_mode>
<mig_devices><mig_device><index>0</index><gpu_instance_id>2</gpu_instance_id><compute_instance_id>0</compute_instance_id>
<device_attributes><shared><multiprocessor_count>60</multiprocessor_count></shared></device_attributes>
<fb_memory_usage><total>40448 MiB</total><reserved>0 MiB</reserved><used>11091 MiB</used><free>29357 MiB</free></fb_memory_usage>
</mig_device></mig_devices>
<gpu_power_readings><average_power_draw>433.78 W</average_power_draw><instant_power_draw>447.35 W</instant_power_draw>
<current_power_limit>700.00 W</current_power_limit><min_power_limit>200.00 W</min_power_limit><max_power_limit>700.00 W</max_power_limit></gpu_power_readings>
<utilization><gpu_util>N/A</gpu_util></utilization>
</gpu></nvidia_smi_log>`;
    const readings = valid(normaliseGpus(parseNvidiaXml(xml).gpus, ctx));
    assert.deepEqual(readings.map((r) => r.deviceId), ['GPU-aaaa', 'GPU-aaaa/mig-gi2-ci0']);
    assert.equal(readings[1]?.metrics.memory_used_bytes, 11091 * 1024 * 1024);
    assert.equal(readings[1]?.metrics.multiprocessor_count, 60);
    assert.equal(readings[0]?.metrics.power_w, 433.78);
    assert.equal('utilization_pct' in (readings[0]?.metrics ?? {}), false);
  });
});
