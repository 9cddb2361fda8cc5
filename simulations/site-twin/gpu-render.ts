import type { GpuNow, TwinGpuHost } from './gpu-host.ts';

/**
 * A twin GPU host's state in the formats the agent reads, as the recordings print them:
 * - `nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]`: header with units in
 *   brackets, values with units ("631.95 W", "19818 MiB", "1980 MHz", "100 %"), [N/A] for
 *   what an H100 does not report (fan, retired pages), Active / Not Active event reasons,
 *   as in the recorded H100 capture; an unknown field is refused as nvidia-smi refuses it;
 * - dcgm-exporter's page: DCGM_FI_DEV_* with dcgm-exporter's label layout.
 */
export class UnknownFieldError extends Error {}

const REASONS = ['gpu_idle', 'applications_clocks_setting', 'sw_power_cap', 'hw_slowdown', 'hw_thermal_slowdown', 'hw_power_brake_slowdown', 'sw_thermal_slowdown', 'sync_boost'];

type Cell = { unit?: string; value: (g: GpuNow, h: TwinGpuHost) => string };
const na: Cell = { value: () => '[N/A]' };
const w = (f: (g: GpuNow, h: TwinGpuHost) => number): Cell => ({ unit: 'W', value: (g, h) => `${f(g, h).toFixed(2)} W` });
const mib = (f: (g: GpuNow, h: TwinGpuHost) => number): Cell => ({ unit: 'MiB', value: (g, h) => `${Math.round(f(g, h))} MiB` });
const mhz = (f: (g: GpuNow, h: TwinGpuHost) => number): Cell => ({ unit: 'MHz', value: (g, h) => `${Math.round(f(g, h))} MHz` });
const pct = (f: (g: GpuNow) => number): Cell => ({ unit: '%', value: (g) => `${Math.round(f(g))} %` });
const text = (f: (g: GpuNow, h: TwinGpuHost) => string | number): Cell => ({ value: (g, h) => String(f(g, h)) });

const CELLS: Record<string, Cell> = {
  index: text((g) => g.index),
  uuid: text((g) => g.uuid),
  name: text((_g, h) => h.spec.name),
  'pci.bus_id': text((g) => g.busId),
  driver_version: text(() => '590.48.01'),
  pstate: text((g) => (g.utilizationPct > 5 ? 'P0' : 'P5')),
  'fan.speed': { unit: '%', value: () => '[N/A]' },
  'temperature.gpu': text((g) => g.tempC),
  'temperature.memory': text((g) => g.memoryTempC),
  'utilization.gpu': pct((g) => g.utilizationPct),
  'utilization.memory': pct((g) => g.memoryUtilizationPct),
  'memory.used': mib((g) => g.memoryUsedMiB),
  'memory.total': mib((_g, h) => h.spec.memoryMiB),
  'power.draw': w((g) => g.powerW),
  'power.draw.average': w((g) => g.powerW),
  'power.draw.instant': w((g) => g.powerW * 1.01),
  'power.limit': w((_g, h) => h.spec.tdpW),
  'enforced.power.limit': w((_g, h) => h.spec.tdpW),
  'power.default_limit': w((_g, h) => h.spec.tdpW),
  'power.min_limit': w((_g, h) => h.spec.minLimitW),
  'power.max_limit': w((_g, h) => h.spec.tdpW),
  'clocks.current.sm': mhz((g) => g.smClockMHz),
  'clocks.current.graphics': mhz((g) => g.smClockMHz),
  'clocks.current.memory': mhz((g) => g.memClockMHz),
  'mig.mode.current': text(() => 'Disabled'),
  'ecc.mode.current': text(() => 'Enabled'),
  'ecc.errors.corrected.volatile.total': text((g) => g.eccCorrectedVolatile),
  'ecc.errors.uncorrected.volatile.total': text((g) => g.eccUncorrectedVolatile),
  'ecc.errors.corrected.aggregate.total': text((g) => g.eccCorrectedAggregate),
  'ecc.errors.uncorrected.aggregate.total': text((g) => g.eccUncorrectedAggregate),
  'retired_pages.single_bit_ecc.count': na,
  'retired_pages.double_bit.count': na,
  'retired_pages.pending': na,
  'remapped_rows.correctable': text(() => 0),
  'remapped_rows.uncorrectable': text((g) => g.remappedRowsUncorrectable),
  'remapped_rows.pending': text(() => 'No'),
  'remapped_rows.failure': text(() => 'No'),
};
for (const r of REASONS) CELLS[`clocks_event_reasons.${r}`] = text((g) => (g.throttle.includes(r) ? 'Active' : 'Not Active'));

/** The output of `nvidia-smi <args>` for this host now; throws UnknownFieldError as nvidia-smi exits 2. */
export function renderQueryGpu(host: TwinGpuHost, args: readonly string[], nowMs: number): string {
  const query = args.find((a) => a.startsWith('--query-gpu='));
  const format = args.find((a) => a.startsWith('--format='));
  if (query === undefined || format === undefined || !format.slice(9).split(',').includes('csv')) {
    throw new UnknownFieldError(`twin nvidia-smi supports only --query-gpu=… --format=csv (got: ${args.join(' ')})`);
  }
  const opts = format.slice(9).split(',');
  const fields = query.slice(12).split(',');
  for (const f of fields) if (CELLS[f] === undefined) throw new UnknownFieldError(`Field "${f}" is not a valid field to query.`);
  const onlyIndex = args.includes('-i') ? Number(args[args.indexOf('-i') + 1]) : undefined;
  const lines: string[] = [];
  if (!opts.includes('noheader')) lines.push(fields.map((f) => (CELLS[f]?.unit && !opts.includes('nounits') ? `${f} [${CELLS[f]?.unit}]` : f)).join(', '));
  for (const g of host.read(nowMs)) {
    if (onlyIndex !== undefined && g.index !== onlyIndex) continue;
    lines.push(fields.map((f) => {
      const v = (CELLS[f] as Cell).value(g, host);
      return opts.includes('nounits') ? v.replace(/ (W|MiB|MHz|%)$/, '') : v;
    }).join(', '));
  }
  return `${lines.join('\n')}\n`;
}

const THROTTLE_BIT: Record<string, number> = { gpu_idle: 0x1, applications_clocks_setting: 0x2, sw_power_cap: 0x4, hw_slowdown: 0x8, sync_boost: 0x10, sw_thermal_slowdown: 0x20, hw_thermal_slowdown: 0x40, hw_power_brake_slowdown: 0x80 };

/** dcgm-exporter's /metrics page for this host now. */
export function renderDcgmPage(host: TwinGpuHost, nowMs: number): string {
  const gpus = host.read(nowMs);
  const families: Array<[string, string, string, (g: GpuNow) => number]> = [
    ['DCGM_FI_DEV_SM_CLOCK', 'gauge', 'SM clock frequency (in MHz).', (g) => g.smClockMHz],
    ['DCGM_FI_DEV_MEM_CLOCK', 'gauge', 'Memory clock frequency (in MHz).', (g) => g.memClockMHz],
    ['DCGM_FI_DEV_GPU_TEMP', 'gauge', 'GPU temperature (in C).', (g) => g.tempC],
    ['DCGM_FI_DEV_MEMORY_TEMP', 'gauge', 'Memory temperature (in C).', (g) => g.memoryTempC],
    ['DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W).', (g) => Math.round(g.powerW * 1000) / 1000],
    ['DCGM_FI_DEV_POWER_MGMT_LIMIT', 'gauge', 'Power management limit (in W).', () => host.spec.tdpW],
    ['DCGM_FI_DEV_GPU_UTIL', 'gauge', 'GPU utilization (in %).', (g) => g.utilizationPct],
    ['DCGM_FI_DEV_MEM_COPY_UTIL', 'gauge', 'Memory utilization (in %).', (g) => g.memoryUtilizationPct],
    ['DCGM_FI_DEV_FB_USED', 'gauge', 'Framebuffer memory used (in MiB).', (g) => g.memoryUsedMiB],
    ['DCGM_FI_DEV_FB_FREE', 'gauge', 'Framebuffer memory free (in MiB).', (g) => host.spec.memoryMiB - g.memoryUsedMiB],
    ['DCGM_FI_DEV_FB_TOTAL', 'gauge', 'Framebuffer memory total (in MiB).', () => host.spec.memoryMiB],
    ['DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', 'gauge', 'Current clock throttle reasons (bitmask).', (g) => g.throttle.reduce((m, r) => m | (THROTTLE_BIT[r] ?? 0), 0)],
    ['DCGM_FI_DEV_XID_ERRORS', 'gauge', 'Value of the last XID error encountered.', (g) => g.xid],
    ['DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', 'counter', 'Total number of single-bit volatile ECC errors.', (g) => g.eccCorrectedVolatile],
    ['DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'counter', 'Total number of double-bit volatile ECC errors.', (g) => g.eccUncorrectedVolatile],
    ['DCGM_FI_DEV_ECC_SBE_AGG_TOTAL', 'counter', 'Total number of single-bit persistent ECC errors.', (g) => g.eccCorrectedAggregate],
    ['DCGM_FI_DEV_ECC_DBE_AGG_TOTAL', 'counter', 'Total number of double-bit persistent ECC errors.', (g) => g.eccUncorrectedAggregate],
    ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'counter', 'Number of remapped rows for uncorrectable errors.', (g) => g.remappedRowsUncorrectable],
    ['DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', 'counter', 'Number of remapped rows for correctable errors.', () => 0],
    ['DCGM_FI_DEV_ROW_REMAP_FAILURE', 'gauge', 'Whether remapping of rows has failed.', () => 0],
  ];
  const out: string[] = [];
  for (const [name, type, help, value] of families) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const g of gpus) {
      out.push(`${name}{gpu="${g.index}",UUID="${g.uuid}",pci_bus_id="${g.busId}",device="nvidia${g.index}",modelName="${host.spec.name}",Hostname="${host.host}",DCGM_FI_DRIVER_VERSION="590.48.01"} ${value(g)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
