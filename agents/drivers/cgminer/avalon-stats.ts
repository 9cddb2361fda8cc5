import type { Entry } from './reply.ts';

/**
 * Canaan Avalon (cgminer 4.11, e.g. AvalonMiner 15-194): `stats` packs the telemetry of each
 * module into one string, "MM ID0": "Ver[…] … GHSspd[199241.07] … TAvg[70] TMax[78] Fan1[4275]
 * Fan2[4282] … WALLPOWER[3731] …". Pure.
 */
export function isAvalonStats(entry: Entry): boolean {
  return Object.keys(entry).some((k) => /^MM ID\d+$/.test(k));
}

function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/([A-Za-z][A-Za-z0-9_]*)\[([^\]]*)\]/g)) out.set(m[1] as string, (m[2] as string).trim());
  return out;
}

const num = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^-?[\d.]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
};

export function avalonStatsMetrics(entry: Entry): Record<string, number> {
  let hashrate = 0;
  let power = 0;
  let tempMax: number | undefined;
  let tempAvg: number | undefined;
  const fans: number[] = [];
  let modules = 0;
  for (const [key, value] of Object.entries(entry)) {
    if (!/^MM ID\d+$/.test(key) || typeof value !== 'string') continue;
    const f = fields(value);
    modules++;
    hashrate += (num(f.get('GHSspd')) ?? 0) * 1e9;
    power += num(f.get('WALLPOWER')) ?? 0;
    const tMax = num(f.get('TMax'));
    const tAvg = num(f.get('TAvg'));
    if (tMax !== undefined) tempMax = Math.max(tempMax ?? -Infinity, tMax);
    if (tAvg !== undefined) tempAvg = Math.max(tempAvg ?? -Infinity, tAvg);
    for (const [k, v] of f) {
      const rpm = /^Fan\d+$/.test(k) ? num(v) : undefined;
      if (rpm !== undefined && rpm > 0) fans.push(rpm);
    }
  }
  const metrics: Record<string, number> = {};
  if (modules === 0) return metrics;
  metrics.hashrate_hs = hashrate;
  if (power > 0) metrics.power_w = power;
  if (tempAvg !== undefined) metrics.temp_c = tempAvg;
  if (tempMax !== undefined) metrics.chip_temp_c = tempMax;
  if (fans.length > 0) metrics.fan_rpm = fans.reduce((a, b) => a + b, 0) / fans.length;
  const elapsed = typeof entry.Elapsed === 'number' ? entry.Elapsed : undefined;
  if (elapsed !== undefined) metrics.uptime_s = elapsed;
  return metrics;
}
