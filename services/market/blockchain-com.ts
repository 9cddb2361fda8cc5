import { parseDecimal, readCsv } from './csv.ts';
import { MarketFileError } from './file-error.ts';

/**
 * blockchain.com chart exports → a time series in code units. Pure: text in, data out.
 * CSV: "Timestamp,<metric>" (BOM, CRLF) with "YYYY-MM-DD HH:MM:SS" UTC or epoch s/ms (quoted or
 * not). JSON: the API's {"name", "values":[{x: s, y}]} or the chart page's {"<metric>":[{x: ms, y}]}.
 * Epoch seconds and milliseconds are told apart by size: ≥ 1e11 is ms (1e11 s is the year 5138,
 * 1e11 ms is 1973, and the chain starts in 2009).
 */

export interface ChartPoint {
  timeMs: number;
  value: number;
}

export interface ChartSeries {
  metric: string;
  /** Unit of `value` after conversion (hash rate is H/s in code, the export is TH/s). */
  unit: string;
  /** Strictly increasing in time. */
  points: ChartPoint[];
}

interface MetricSpec {
  unit: string;
  /** Export value × scale = code value. */
  scale: number;
  /** Difficulty is ≥ 1 by protocol; the others are amounts that can be 0 (price before 2010). */
  positive: boolean;
}

export const CHART_METRICS: Readonly<Record<string, MetricSpec>> = {
  difficulty: { unit: 'dimensionless', scale: 1, positive: true },
  'hash-rate': { unit: 'H/s', scale: 1e12, positive: false },
  'market-price': { unit: 'USD/BTC', scale: 1, positive: false },
  'miners-revenue': { unit: 'USD/day', scale: 1, positive: false },
  'transaction-fees': { unit: 'BTC/day', scale: 1, positive: false },
  'transaction-fees-usd': { unit: 'USD/day', scale: 1, positive: false },
};

/** The API's chart titles, slugged, where they differ from the chart's URL name. */
const NAME_ALIASES: Readonly<Record<string, string>> = {
  'total-hash-rate': 'hash-rate',
  'network-difficulty': 'difficulty',
  'total-transaction-fees': 'transaction-fees',
};

export interface ChartParseOptions {
  source: string;
  /** Expected metric; required for a JSON "values" export that carries no recognisable name. */
  metric?: string;
}

type RawPoint = { row: number; where: string; time: string | number; value: string | number };

export function parseBlockchainChart(text: string, opts: ChartParseOptions): ChartSeries {
  const body = text.replace(/^\uFEFF/, '').trim();
  const { metric, raw } = body.startsWith('{') ? fromJson(body, opts) : fromCsv(text, opts);
  return toSeries(metric, raw, opts.source);
}

function spec(metric: string, source: string): MetricSpec {
  const s = CHART_METRICS[metric];
  if (!s) throw new MarketFileError(source, 1, `unknown chart metric "${metric}"; known: ${Object.keys(CHART_METRICS).join(', ')}`);
  return s;
}

function expect(metric: string, opts: ChartParseOptions): string {
  spec(metric, opts.source);
  if (opts.metric !== undefined && opts.metric !== metric) {
    throw new MarketFileError(opts.source, 1, `expected a ${opts.metric} chart, the file holds ${metric}`);
  }
  return metric;
}

function fromCsv(text: string, opts: ChartParseOptions): { metric: string; raw: RawPoint[] } {
  const table = readCsv(text, opts.source);
  const [timeCol, metricCol] = table.header;
  if (table.header.length !== 2 || timeCol?.toLowerCase() !== 'timestamp' || !metricCol) {
    throw new MarketFileError(opts.source, 1, `header "${table.header.join(',')}" is not a blockchain.com chart export (Timestamp,<metric>)`);
  }
  const metric = expect(metricCol.toLowerCase(), opts);
  const raw = table.rows.map((r) => ({ row: r.row, where: `column ${timeCol}/${metricCol}`, time: (r.cells[0] as string).trim(), value: (r.cells[1] as string).trim() }));
  return { metric, raw };
}

function slug(name: string): string {
  const s = name.toLowerCase().replace(/\([^)]*\)/g, '').trim().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const base = NAME_ALIASES[s] ?? s;
  return base === 'transaction-fees' && /\(usd\)/i.test(name) ? 'transaction-fees-usd' : base;
}

function fromJson(body: string, opts: ChartParseOptions): { metric: string; raw: RawPoint[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new MarketFileError(opts.source, 1, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const obj = doc as Record<string, unknown>;
  let metric: string;
  let key: string;
  if (Array.isArray(obj.values)) {
    key = 'values';
    const named = typeof obj.name === 'string' ? slug(obj.name) : undefined;
    const chosen = opts.metric ?? named;
    if (chosen === undefined) throw new MarketFileError(opts.source, 1, 'a "values" chart export without a name: pass the metric');
    metric = expect(named !== undefined && CHART_METRICS[named] ? named : chosen, opts);
  } else {
    const arrays = Object.keys(obj).filter((k) => Array.isArray(obj[k]));
    const chosen = opts.metric !== undefined && arrays.includes(opts.metric) ? opts.metric : arrays.length === 1 ? arrays[0] : undefined;
    if (chosen === undefined) throw new MarketFileError(opts.source, 1, `expected {"values":[…]} or one {"<metric>":[…]}; found arrays: ${arrays.join(', ') || 'none'}`);
    key = chosen;
    metric = expect(chosen, opts);
  }
  const list = obj[key] as unknown[];
  const raw = list.map((p, i): RawPoint => {
    const point = (p ?? {}) as { x?: unknown; y?: unknown };
    const ok = (v: unknown): v is string | number => typeof v === 'number' || typeof v === 'string';
    return { row: i + 1, where: `${key}[${i}]`, time: ok(point.x) ? point.x : String(point.x), value: ok(point.y) ? point.y : String(point.y) };
  });
  return { metric, raw };
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?Z?$/;

/** Chart timestamp → UTC ms, or undefined. */
export function parseChartTime(time: string | number): number | undefined {
  const t = typeof time === 'number' ? String(time) : time.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return Number.isSafeInteger(n) ? (n >= 1e11 ? n : n * 1000) : undefined;
  }
  const m = DATE_TIME.exec(t);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}

function toSeries(metric: string, raw: readonly RawPoint[], source: string): ChartSeries {
  const s = spec(metric, source);
  const points: ChartPoint[] = [];
  let prev: { row: number; timeMs: number } | undefined;
  for (const p of raw) {
    const timeMs = parseChartTime(p.time);
    if (timeMs === undefined) throw new MarketFileError(source, p.row, `${p.where}: timestamp "${p.time}" is not YYYY-MM-DD HH:MM:SS or epoch seconds/milliseconds`);
    const v = typeof p.value === 'number' ? (Number.isFinite(p.value) ? p.value : undefined) : parseDecimal(p.value);
    if (v === undefined) throw new MarketFileError(source, p.row, `${p.where}: ${metric} value "${p.value}" is not a number`);
    if (v < 0 || (s.positive && v === 0)) throw new MarketFileError(source, p.row, `${p.where}: ${metric} value ${v} must be ${s.positive ? '> 0' : '≥ 0'}`);
    if (prev && timeMs === prev.timeMs) throw new MarketFileError(source, p.row, `duplicate timestamp ${new Date(timeMs).toISOString()}: row ${p.row} repeats row ${prev.row}`);
    if (prev && timeMs < prev.timeMs) {
      throw new MarketFileError(source, p.row, `timestamp ${new Date(timeMs).toISOString()} is before row ${prev.row} (${new Date(prev.timeMs).toISOString()}); time must increase`);
    }
    points.push({ timeMs, value: v * s.scale });
    prev = { row: p.row, timeMs };
  }
  if (points.length === 0) throw new MarketFileError(source, 1, `no ${metric} data points`);
  return { metric, unit: s.unit, points };
}
