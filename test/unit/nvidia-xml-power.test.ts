import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseNvidiaXml } from '../../agents/drivers/nvidia-smi/parse-xml.ts';
import { requireFixtures } from '../support/fixtures.ts';

/**
 * The power quirk of `nvidia-smi -q -x`: the schema attribute (nvsmi_device_vNN.dtd) does not
 * say where power is. Driver 535.104.05 writes schema v12 with the newer <gpu_power_readings>
 * holding the older <power_draw> (reported in Breakend/experiment-impact-tracker PR #80, which
 * quotes the block used below); v13 drivers write <average_power_draw>/<instant_power_draw>.
 * Each case is a real recording with only its power block swapped, so everything else is
 * what that driver wrote.
 */
const FIXTURES = resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/fixtures/nvidia/xml');
const skip = requireFixtures(FIXTURES);
const read = (f: string) => readFileSync(join(FIXTURES, f), 'utf8');

/** Replaces the <power_readings> or <gpu_power_readings> block of a one-GPU recording. */
function withPowerBlock(xml: string, block: string, driverVersion?: string): string {
  const re = /<(gpu_power_readings|power_readings)>[\s\S]*?<\/\1>/;
  assert.match(xml, re);
  const out = xml.replace(re, block);
  return driverVersion === undefined ? out : out.replace(/<driver_version>[^<]*<\/driver_version>/, `<driver_version>${driverVersion}</driver_version>`);
}

const DRIVER_535_BLOCK = `<gpu_power_readings>
	<power_state>P8</power_state>
	<power_draw>17.89 W</power_draw>
	<current_power_limit>220.00 W</current_power_limit>
	<requested_power_limit>220.00 W</requested_power_limit>
	<default_power_limit>220.00 W</default_power_limit>
	<min_power_limit>100.00 W</min_power_limit>
	<max_power_limit>240.00 W</max_power_limit>
</gpu_power_readings>`;

describe('nvidia-smi XML: power wherever the driver put it', { skip }, () => {
  test('driver 535.104.05: schema v12 with <gpu_power_readings><power_draw>', () => {
    // RTX 3090 recording from driver 525.147.05 (schema v12), power block as 535.104.05 writes it.
    const xml = withPowerBlock(read('telegraf_rtx-3090-v12.xml'), DRIVER_535_BLOCK, '535.104.05');
    const parsed = parseNvidiaXml(xml);
    assert.equal(parsed.schemaVersion, 12);
    assert.equal(parsed.driverVersion, '535.104.05');
    const [gpu] = parsed.gpus;
    assert.equal(gpu?.powerW, 17.89);
    assert.equal(gpu?.enforcedPowerLimitW, 220);
    assert.equal(gpu?.powerLimitW, 220);
    assert.equal(gpu?.minPowerLimitW, 100);
    assert.equal(gpu?.maxPowerLimitW, 240);
    assert.equal(gpu?.powerAverageW, undefined, 'no averaged draw was reported');
  });

  test('schema v12 attribute over v13 readings (<average_power_draw>, <instant_power_draw>)', () => {
    // The v13 block of the RTX 3090 recorded with driver 590.44.01, in the v12 document.
    const v13Block = /<gpu_power_readings>[\s\S]*?<\/gpu_power_readings>/.exec(read('telegraf_3090-v13.xml'))?.[0];
    assert.ok(v13Block);
    const [gpu] = parseNvidiaXml(withPowerBlock(read('telegraf_rtx-3090-v12.xml'), v13Block)).gpus;
    assert.equal(gpu?.powerW, 35.06, 'the averaged draw');
    assert.equal(gpu?.powerInstantW, 35.15);
    assert.equal(gpu?.enforcedPowerLimitW, 350);
    assert.equal(gpu?.maxPowerLimitW, 480);
  });

  test('schema v13 attribute over the v11/v12 <power_readings> block', () => {
    // The v12 block of the RTX 3090 recorded with driver 525.147.05, in the v13 document (590.44.01).
    const v12Block = /<power_readings>[\s\S]*?<\/power_readings>/.exec(read('telegraf_rtx-3090-v12.xml'))?.[0];
    assert.ok(v12Block);
    const parsed = parseNvidiaXml(withPowerBlock(read('telegraf_3090-v13.xml'), v12Block));
    assert.equal(parsed.schemaVersion, 13);
    const [gpu] = parsed.gpus;
    assert.equal(gpu?.powerW, 27.23);
    assert.equal(gpu?.powerLimitW, 200);
    assert.equal(gpu?.enforcedPowerLimitW, 200);
    assert.equal(gpu?.defaultPowerLimitW, 350);
  });

  test('the recordings as they are still read as before', () => {
    assert.equal(parseNvidiaXml(read('telegraf_rtx-3090-v12.xml')).gpus[0]?.powerW, 27.23);
    assert.equal(parseNvidiaXml(read('telegraf_3090-v13.xml')).gpus[0]?.powerW, 35.06);
  });
});
