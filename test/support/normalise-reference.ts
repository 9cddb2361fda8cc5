// The miner normaliser as it was before the agent-footprint work (agents/drivers/cgminer/
// normalise.ts, hashrate.ts and avalon-stats.ts at commit 94ae51b): arrays, regex matches and
// Object.entries per reply. Kept only as the oracle that the allocation-lean version must
// equal on every recording and every twin reply (cgminer-normalise.test.ts). Not used by the agent.
import type { CgminerReply } from '../../agents/drivers/cgminer/parse.ts';
import { entries, numberOf, requireSuccess, splitMulti, type Entry } from '../../agents/drivers/cgminer/reply.ts';

/**
 * Hashrate fields carry their unit in the key: "GHS 5s" (Antminer stock, as a string),
 * "MHS av" (Whatsminer, Braiins, Avalon), "KHS …", "THS …". Pure.
 */
const UNIT_HS: Record<string, number> = { HS: 1, KHS: 1e3, MHS: 1e6, GHS: 1e9, THS: 1e12 };
/** Shortest window first: the reading should say what the miner does now. */
const WINDOWS = ['5s', '30s', '1m', '5m', '15m', 'av'];
const FIELD = /^(HS|KHS|MHS|GHS|THS) (5s|30s|1m|5m|15m|av)$/;

/** H/s from the shortest-window hashrate field of an entry; undefined when there is none. */
function hashrateHs(entry: Entry): number | undefined {
  let best: { rank: number; hs: number } | undefined;
  for (const [key, value] of Object.entries(entry)) {
    const m = FIELD.exec(key);
    if (!m) continue;
    const n = numberOf(value);
    if (n === undefined) continue;
    const rank = WINDOWS.indexOf(m[2] as string);
    if (best === undefined || rank < best.rank) best = { rank, hs: n * (UNIT_HS[m[1] as string] as number) };
  }
  return best?.hs;
}


/**
 * Canaan Avalon (cgminer 4.11, e.g. AvalonMiner 15-194): `stats` packs the telemetry of each
 * module into one string, "MM ID0": "Ver[…] … GHSspd[199241.07] … TAvg[70] TMax[78] Fan1[4275]
 * Fan2[4282] … WALLPOWER[3731] …". Pure.
 */
function isAvalonStats(entry: Entry): boolean {
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

function avalonStatsMetrics(entry: Entry): Record<string, number> {
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


/**
 * A parsed cgminer reply → reading metrics in base units (hashrate_hs, power_w, temp_c,
 * chip_temp_c, fan_rpm, uptime_s). Pure. Works on summary, stats, devs, temps and fans
 * replies and on their multi-command combination; make-specific layouts live in makes/.
 * A field that is absent or not a number is left out: missing is never zero.
 */
type Metrics = Record<string, number>;

interface MinerTelemetry {
  metrics: Metrics;
  /** STATUS Description, e.g. "cgminer 4.9.0", "BOSminer bosminer-plus-am2-s17 0.8.0". */
  firmware: string | undefined;
}

class NoTelemetryError extends Error {
  constructor(sections: string[]) {
    super(`reply holds no hashrate, power or temperature (sections: ${sections.join(', ') || 'none'})`);
    this.name = 'NoTelemetryError';
  }
}

/**
 * A sensor that is absent reads 0 (Antminer boards not fitted, BOSminer devs) or -273
 * (Avalon devs); anything outside -40…150 °C is broken. Those are missing, not temperatures.
 */
const plausibleTemp = (t: number | undefined) => (t !== undefined && t !== 0 && t > -40 && t < 150 ? t : undefined);

const maxOf = (xs: Array<number | undefined>) => {
  const ok = xs.filter((x): x is number => x !== undefined);
  return ok.length > 0 ? Math.max(...ok) : undefined;
};
const meanOf = (xs: Array<number | undefined>) => {
  const ok = xs.filter((x): x is number => x !== undefined && x > 0);
  return ok.length > 0 ? ok.reduce((a, b) => a + b, 0) / ok.length : undefined;
};
const matching = (e: Entry, re: RegExp) => Object.entries(e).filter(([k]) => re.test(k)).map(([, v]) => numberOf(v));

function put(m: Metrics, name: string, value: number | undefined): void {
  if (value !== undefined && Number.isFinite(value)) m[name] = value;
}

function summaryMetrics(reply: CgminerReply): Metrics {
  const m: Metrics = {};
  const s = entries(reply, 'SUMMARY')[0];
  if (s === undefined) return m;
  put(m, 'hashrate_hs', hashrateHs(s));
  put(m, 'power_w', numberOf(s.Power));
  put(m, 'power_limit_w', numberOf(s['Power Limit']));
  put(m, 'temp_c', plausibleTemp(numberOf(s.Temperature)));
  put(m, 'fan_rpm', meanOf([numberOf(s['Fan Speed In']), numberOf(s['Fan Speed Out'])]));
  put(m, 'uptime_s', numberOf(s.Elapsed));
  return m;
}

function statsMetrics(reply: CgminerReply): Metrics {
  const list = entries(reply, 'STATS');
  const avalon = list.find(isAvalonStats);
  if (avalon !== undefined) return avalonStatsMetrics(avalon);
  const m: Metrics = {};
  // Antminer stock and bmminer: one entry of totals (after a version entry); DragonMint T1:
  // one entry per hash chain. Summing the entries that carry a hashrate covers both.
  const rates = list.map(hashrateHs).filter((h): h is number => h !== undefined);
  if (rates.length > 0) m.hashrate_hs = rates.reduce((a, b) => a + b, 0);
  put(m, 'temp_c', maxOf(list.flatMap((e) => [...matching(e, /^temp\d+$/), numberOf(e.Temp)]).map(plausibleTemp)));
  put(m, 'chip_temp_c', maxOf(list.flatMap((e) => [...matching(e, /^temp2_\d+$/), numberOf(e.temp_max), numberOf(e['Temp max'])]).map(plausibleTemp)));
  put(m, 'fan_rpm', meanOf(list.flatMap((e) => matching(e, /^fan\d+$/))));
  put(m, 'uptime_s', maxOf(list.map((e) => numberOf(e.Elapsed))));
  if (m.uptime_s === 0 && Object.keys(m).length === 1) delete m.uptime_s;
  return m;
}

function devsMetrics(reply: CgminerReply): Metrics {
  const m: Metrics = {};
  const list = entries(reply, 'DEVS');
  const rates = list.map(hashrateHs).filter((h): h is number => h !== undefined);
  if (rates.length > 0) m.hashrate_hs = rates.reduce((a, b) => a + b, 0);
  put(m, 'temp_c', maxOf(list.map((e) => plausibleTemp(numberOf(e.Temperature)))));
  put(m, 'uptime_s', maxOf(list.map((e) => numberOf(e['Device Elapsed']))));
  return m;
}

/** Braiins OS `temps` and `fans`. */
function tempsFansMetrics(reply: CgminerReply): Metrics {
  const m: Metrics = {};
  const temps = entries(reply, 'TEMPS');
  put(m, 'temp_c', maxOf(temps.map((e) => plausibleTemp(numberOf(e.Board)))));
  put(m, 'chip_temp_c', maxOf(temps.map((e) => plausibleTemp(numberOf(e.Chip)))));
  put(m, 'fan_rpm', meanOf(entries(reply, 'FANS').map((e) => numberOf(e.RPM))));
  return m;
}

// Where two sections report the same metric, the earlier one here wins: the summary is the
// miner's own total, temps/fans are dedicated sensors, devs add up hashboards, stats are
// firmware-specific.
const EXTRACTORS = [summaryMetrics, tempsFansMetrics, devsMetrics, statsMetrics];

export function referenceMinerTelemetry(reply: CgminerReply): MinerTelemetry {
  const parts = splitMulti(reply) ?? new Map([['', reply]]);
  const metrics: Metrics = {};
  let firmware: string | undefined;
  let firstError: unknown;
  const sections: string[] = [];
  for (const part of parts.values()) {
    try {
      firmware ??= requireSuccess(part).description;
    } catch (err) {
      firstError ??= err;
      continue;
    }
    sections.push(...Object.keys(part).filter((k) => k !== 'STATUS' && k !== 'id'));
  }
  for (const extract of EXTRACTORS) {
    for (const part of parts.values()) {
      for (const [k, v] of Object.entries(extract(part))) if (!(k in metrics)) metrics[k] = v;
    }
  }
  const telemetry = ['hashrate_hs', 'power_w', 'temp_c', 'chip_temp_c'].some((k) => k in metrics);
  if (!telemetry) {
    if (firstError !== undefined) throw firstError;
    throw new NoTelemetryError(sections);
  }
  return { metrics, firmware };
}
