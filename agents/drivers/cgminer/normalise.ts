import { hashrateHs } from './hashrate.ts';
import { avalonStatsMetrics, isAvalonStats } from './avalon-stats.ts';
import type { CgminerReply } from './parse.ts';
import { entries, numberOf, requireSuccess, splitMulti, type Entry } from './reply.ts';

/**
 * A parsed cgminer reply → reading metrics in base units (hashrate_hs, power_w, temp_c,
 * chip_temp_c, fan_rpm, uptime_s). Pure. Works on summary, stats, devs, temps and fans
 * replies and on their multi-command combination; make-specific layouts live in makes/.
 * A field that is absent or not a number is left out: missing is never zero.
 *
 * The agent runs this on every reply of every cycle, so it folds values as it walks the
 * entries (a running max or mean) instead of building arrays of them: the same results as the
 * array version (test/support/normalise-reference.ts, compared in cgminer-normalise.test.ts)
 * for a fraction of the garbage.
 */
export type Metrics = Record<string, number>;

export interface MinerTelemetry {
  metrics: Metrics;
  /** STATUS Description, e.g. "cgminer 4.9.0", "BOSminer bosminer-plus-am2-s17 0.8.0". */
  firmware: string | undefined;
}

export class NoTelemetryError extends Error {
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

/** The largest of the values seen; undefined until one is. */
class Max {
  value: number | undefined;
  add(x: number | undefined): void {
    if (x !== undefined && (this.value === undefined || x > this.value)) this.value = x;
  }
}

/** The mean of the positive values seen, summed in the order seen; undefined until one is. */
class PositiveMean {
  private sum = 0;
  private n = 0;
  add(x: number | undefined): void {
    if (x !== undefined && x > 0) {
      this.sum += x;
      this.n++;
    }
  }
  get value(): number | undefined {
    return this.n > 0 ? this.sum / this.n : undefined;
  }
}

/** Sets a metric the earlier extractors (and parts) have not: the first to report it wins. */
function first(m: Metrics, name: string, value: number | undefined): void {
  if (value !== undefined && Number.isFinite(value) && !(name in m)) m[name] = value;
}

const TEMP = /^temp\d+$/;
const CHIP_TEMP = /^temp2_\d+$/;
const FAN = /^fan\d+$/;

function summaryMetrics(reply: CgminerReply, m: Metrics): void {
  const s = firstEntry(reply, 'SUMMARY');
  if (s === undefined) return;
  first(m, 'hashrate_hs', hashrateHs(s));
  first(m, 'power_w', numberOf(s.Power));
  first(m, 'power_limit_w', numberOf(s['Power Limit']));
  first(m, 'temp_c', plausibleTemp(numberOf(s.Temperature)));
  const fan = new PositiveMean();
  fan.add(numberOf(s['Fan Speed In']));
  fan.add(numberOf(s['Fan Speed Out']));
  first(m, 'fan_rpm', fan.value);
  first(m, 'uptime_s', numberOf(s.Elapsed));
}

/** The sum of the entries' hashrates; undefined when none has one. */
function sumOfRates(list: readonly Entry[]): number | undefined {
  let sum: number | undefined;
  for (const e of list) {
    const h = hashrateHs(e);
    if (h !== undefined) sum = (sum ?? 0) + h;
  }
  return sum;
}

function statsMetrics(reply: CgminerReply, m: Metrics): void {
  const list = entries(reply, 'STATS');
  const avalon = list.find(isAvalonStats);
  if (avalon !== undefined) {
    for (const [k, v] of Object.entries(avalonStatsMetrics(avalon))) if (!(k in m)) m[k] = v;
    return;
  }
  // Antminer stock and bmminer: one entry of totals (after a version entry); DragonMint T1:
  // one entry per hash chain. Summing the entries that carry a hashrate covers both.
  const rate = sumOfRates(list);
  const temp = new Max();
  const chip = new Max();
  const fan = new PositiveMean();
  const uptime = new Max();
  for (const e of list) {
    for (const key in e) {
      if (TEMP.test(key)) temp.add(plausibleTemp(numberOf(e[key])));
      else if (CHIP_TEMP.test(key)) chip.add(plausibleTemp(numberOf(e[key])));
      else if (FAN.test(key)) fan.add(numberOf(e[key]));
    }
    temp.add(plausibleTemp(numberOf(e.Temp)));
    chip.add(plausibleTemp(numberOf(e.temp_max)));
    chip.add(plausibleTemp(numberOf(e['Temp max'])));
    uptime.add(numberOf(e.Elapsed));
  }
  const anyOther = rate !== undefined || temp.value !== undefined || chip.value !== undefined || fan.value !== undefined;
  if (rate !== undefined && !('hashrate_hs' in m)) m.hashrate_hs = rate;
  first(m, 'temp_c', temp.value);
  first(m, 'chip_temp_c', chip.value);
  first(m, 'fan_rpm', fan.value);
  // An uptime of 0 alone says nothing (a version-only stats reply).
  if (!(uptime.value === 0 && !anyOther)) first(m, 'uptime_s', uptime.value);
}

function devsMetrics(reply: CgminerReply, m: Metrics): void {
  const list = entries(reply, 'DEVS');
  const rate = sumOfRates(list);
  if (rate !== undefined && !('hashrate_hs' in m)) m.hashrate_hs = rate;
  const temp = new Max();
  const uptime = new Max();
  for (const e of list) {
    temp.add(plausibleTemp(numberOf(e.Temperature)));
    uptime.add(numberOf(e['Device Elapsed']));
  }
  first(m, 'temp_c', temp.value);
  first(m, 'uptime_s', uptime.value);
}

/** Braiins OS `temps` and `fans`. */
function tempsFansMetrics(reply: CgminerReply, m: Metrics): void {
  const temp = new Max();
  const chip = new Max();
  for (const e of entries(reply, 'TEMPS')) {
    temp.add(plausibleTemp(numberOf(e.Board)));
    chip.add(plausibleTemp(numberOf(e.Chip)));
  }
  first(m, 'temp_c', temp.value);
  first(m, 'chip_temp_c', chip.value);
  const fan = new PositiveMean();
  for (const e of entries(reply, 'FANS')) fan.add(numberOf(e.RPM));
  first(m, 'fan_rpm', fan.value);
}

function firstEntry(reply: CgminerReply, section: string): Entry | undefined {
  const value = reply[section];
  if (!Array.isArray(value)) return undefined;
  for (const e of value) if (typeof e === 'object' && e !== null && !Array.isArray(e)) return e as Entry;
  return undefined;
}

// Where two sections report the same metric, the earlier one here wins: the summary is the
// miner's own total, temps/fans are dedicated sensors, devs add up hashboards, stats are
// firmware-specific.
const EXTRACTORS = [summaryMetrics, tempsFansMetrics, devsMetrics, statsMetrics];

export function minerTelemetry(reply: CgminerReply): MinerTelemetry {
  const parts = splitMulti(reply) ?? new Map([['', reply]]);
  const metrics: Metrics = {};
  let firmware: string | undefined;
  let firstError: unknown;
  const answered: CgminerReply[] = [];
  for (const part of parts.values()) {
    try {
      firmware ??= requireSuccess(part).description;
      answered.push(part);
    } catch (err) {
      firstError ??= err;
    }
  }
  for (const extract of EXTRACTORS) for (const part of parts.values()) extract(part, metrics);
  const telemetry = 'hashrate_hs' in metrics || 'power_w' in metrics || 'temp_c' in metrics || 'chip_temp_c' in metrics;
  if (!telemetry) {
    if (firstError !== undefined) throw firstError;
    throw new NoTelemetryError(answered.flatMap((part) => Object.keys(part).filter((k) => k !== 'STATUS' && k !== 'id')));
  }
  return { metrics, firmware };
}
