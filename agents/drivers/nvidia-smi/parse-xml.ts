import { emptySample, type GpuSample, type MigSample, NvidiaParseError, parseIndex, parseQuantity, parseText } from './sample.ts';
import { healthFromXml } from './health.ts';
import { child, children, parseXml, textAt, type XmlElement } from './xml.ts';

/**
 * `nvidia-smi -q -x` → one sample per GPU. Pure. The schema version is read from the DOCTYPE
 * (nvsmi_device_vNN.dtd); each difference between versions has its own reader below, as
 * Telegraf keeps one parser per schema. GPUs appear in PCI bus order, which is nvidia-smi's
 * index order (`-i N`); minor_number is the /dev node and may differ.
 */
export type SchemaVersion = 11 | 12 | 13;

export interface XmlParse {
  schemaVersion: SchemaVersion;
  driverVersion: string | undefined;
  gpus: GpuSample[];
}

interface SchemaReaders {
  power(gpu: XmlElement, s: GpuSample, where: string): void;
  throttleReasons(gpu: XmlElement, where: string): string[] | undefined;
}

/**
 * Power, whatever the schema version attribute says: the container is <power_readings> (v11,
 * v12 up to driver 525) or <gpu_power_readings> (driver 530+), and the draw <power_draw>
 * (v11, v12, and v12 <gpu_power_readings> as driver 535.104.05 writes it) or
 * <average_power_draw>/<instant_power_draw> (v13). The enforced limit is <enforced_power_limit>
 * or <current_power_limit>, the one asked for <power_limit> or <requested_power_limit>.
 * power_w is the averaged draw where there is one, which is what `power.draw` means in the CSV
 * of the same drivers. The version keeps choosing only what really differs by version.
 */
function powerReadings(gpu: XmlElement, s: GpuSample, where: string): void {
  const name = child(gpu, 'gpu_power_readings') !== undefined ? 'gpu_power_readings' : 'power_readings';
  const p = child(gpu, name);
  const q = (field: string) => parseQuantity(textAt(p, field), `${where} ${name}/${field}`, 'W');
  s.powerAverageW = q('average_power_draw');
  s.powerInstantW = q('instant_power_draw');
  s.powerW = s.powerAverageW ?? q('power_draw') ?? s.powerInstantW;
  s.enforcedPowerLimitW = q('current_power_limit') ?? q('enforced_power_limit');
  s.powerLimitW = q('requested_power_limit') ?? q('power_limit') ?? q('current_power_limit');
  s.defaultPowerLimitW = q('default_power_limit');
  s.minPowerLimitW = q('min_power_limit');
  s.maxPowerLimitW = q('max_power_limit');
}

function activeReasons(section: XmlElement | undefined, prefix: string, where: string): string[] | undefined {
  if (section === undefined) return undefined;
  const active: string[] = [];
  let saw = false;
  for (const c of section.children) {
    if (!c.name.startsWith(prefix)) continue;
    const v = parseText(c.text);
    if (v === undefined) continue;
    saw = true;
    if (v === 'Active') active.push(c.name.slice(prefix.length));
    else if (v !== 'Not Active') throw new NvidiaParseError(`${where} ${section.name}/${c.name}: "${v}" is neither Active nor Not Active`);
  }
  return saw ? active : undefined;
}

/** v11, v12: <clocks_throttle_reasons><clocks_throttle_reason_sw_power_cap>. */
function reasonsFromThrottle(gpu: XmlElement, where: string): string[] | undefined {
  return activeReasons(child(gpu, 'clocks_throttle_reasons'), 'clocks_throttle_reason_', where);
}

/** v13: renamed to <clocks_event_reasons><clocks_event_reason_sw_power_cap>. */
function reasonsFromEvents(gpu: XmlElement, where: string): string[] | undefined {
  return activeReasons(child(gpu, 'clocks_event_reasons'), 'clocks_event_reason_', where);
}

const READERS: Record<SchemaVersion, SchemaReaders> = {
  11: { power: powerReadings, throttleReasons: reasonsFromThrottle },
  12: { power: powerReadings, throttleReasons: reasonsFromThrottle },
  13: { power: powerReadings, throttleReasons: reasonsFromEvents },
};

export function schemaVersionOf(text: string): SchemaVersion {
  const m = /<!DOCTYPE\s+nvidia_smi_log\s+SYSTEM\s+"nvsmi_device_v(\d+)\.dtd"/.exec(text.slice(0, 500));
  if (m === null) throw new NvidiaParseError('nvidia-smi XML: no nvsmi_device_vNN.dtd DOCTYPE; is this `nvidia-smi -q -x` output?');
  const v = Number(m[1]);
  if (v !== 11 && v !== 12 && v !== 13) throw new NvidiaParseError(`nvidia-smi XML schema v${v} is not supported (v11, v12, v13 are)`);
  return v;
}

export function parseNvidiaXml(text: string): XmlParse {
  const schemaVersion = schemaVersionOf(text);
  const root = parseXml(text);
  if (root.name !== 'nvidia_smi_log') throw new NvidiaParseError(`nvidia-smi XML: root is <${root.name}>, expected <nvidia_smi_log>`);
  const driverVersion = parseText(textAt(root, 'driver_version'));
  const readers = READERS[schemaVersion];
  const gpus = children(root, 'gpu').map((gpu, index) => {
    const where = `nvidia-smi XML v${schemaVersion} gpu ${gpu.attrs.id ?? index}`;
    const s = emptySample();
    s.index = index;
    s.driverVersion = driverVersion;
    s.uuid = parseText(textAt(gpu, 'uuid'));
    s.name = parseText(textAt(gpu, 'product_name'));
    s.busId = gpu.attrs.id ?? parseText(textAt(gpu, 'pci', 'pci_bus_id'));
    readers.power(gpu, s, where);
    s.throttleReasons = readers.throttleReasons(gpu, where);
    const q = (what: string, ...path: string[]) => parseQuantity(textAt(gpu, ...path), `${where} ${path.join('/')}`, what);
    s.tempC = q('C', 'temperature', 'gpu_temp');
    s.memoryTempC = q('C', 'temperature', 'memory_temp');
    s.utilizationPct = q('%', 'utilization', 'gpu_util');
    s.memoryUtilizationPct = q('%', 'utilization', 'memory_util');
    s.memoryUsedBytes = q('MiB', 'fb_memory_usage', 'used');
    s.memoryTotalBytes = q('MiB', 'fb_memory_usage', 'total');
    s.smClockHz = q('MHz', 'clocks', 'sm_clock');
    s.graphicsClockHz = q('MHz', 'clocks', 'graphics_clock');
    s.memoryClockHz = q('MHz', 'clocks', 'mem_clock');
    s.fanPct = q('%', 'fan_speed');
    s.pstate = parseText(textAt(gpu, 'performance_state'));
    s.migMode = parseText(textAt(gpu, 'mig_mode', 'current_mig'));
    s.health = healthFromXml(gpu, where);
    s.migDevices = children(child(gpu, 'mig_devices'), 'mig_device').map((m, i) => migSample(m, `${where} mig_device ${i}`));
    return s;
  });
  return { schemaVersion, driverVersion, gpus };
}

function migSample(m: XmlElement, where: string): MigSample {
  const q = (unit: string, ...path: string[]) => parseQuantity(textAt(m, ...path), `${where} ${path.join('/')}`, unit);
  return {
    index: parseIndex(textAt(m, 'index'), `${where} index`),
    gpuInstanceId: parseIndex(textAt(m, 'gpu_instance_id'), `${where} gpu_instance_id`),
    computeInstanceId: parseIndex(textAt(m, 'compute_instance_id'), `${where} compute_instance_id`),
    multiprocessorCount: parseIndex(textAt(m, 'device_attributes', 'shared', 'multiprocessor_count'), `${where} multiprocessor_count`),
    memoryUsedBytes: q('MiB', 'fb_memory_usage', 'used'),
    memoryTotalBytes: q('MiB', 'fb_memory_usage', 'total'),
  };
}
