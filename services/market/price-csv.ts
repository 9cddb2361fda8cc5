import { parseDecimal, readCsv } from './csv.ts';
import { MarketFileError } from './file-error.ts';
import { contiguousIntervals, type PricePoint, type PriceSeries } from './price-series.ts';

/**
 * A user's own price curve: `timestamp,price_usd_per_mwh`, one row per interval start.
 * Timestamps must carry an offset or Z: a bare local time is ambiguous twice a year, and a
 * guessed zone would shift every price by hours.
 */

export const PRICE_CSV_COLUMNS = ['timestamp', 'price_usd_per_mwh'] as const;

export interface PriceCsvOptions {
  source: string;
  /** Name for the series (defaults to "custom"). */
  settlementPoint?: string;
  /** The interval length; inferred from the most common spacing when left out. */
  intervalMinutes?: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** ISO-8601 date-time with a Z or ±hh[:mm] offset → UTC ms; undefined if not exactly that. */
export function parseIsoWithOffset(text: string): number | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(local);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = (m[8] as string).toUpperCase();
  if (zone === 'Z') return local;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  return local - sign * offsetMin * 60_000;
}

export function parsePriceCsv(text: string, opts: PriceCsvOptions): PriceSeries {
  const { source } = opts;
  const table = readCsv(text, source);
  const lower = table.header.map((h) => h.toLowerCase());
  const missing = PRICE_CSV_COLUMNS.filter((c) => !lower.includes(c));
  const extra = table.header.filter((h) => !(PRICE_CSV_COLUMNS as readonly string[]).includes(h.toLowerCase()));
  if (missing.length > 0 || extra.length > 0) {
    throw new MarketFileError(
      source,
      1,
      `${missing.length ? `missing column(s) ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unknown column(s) ${extra.join(', ')}` : ''}: a price CSV has exactly ${PRICE_CSV_COLUMNS.join(',')}`,
    );
  }
  const ti = lower.indexOf('timestamp');
  const pi = lower.indexOf('price_usd_per_mwh');
  const points: PricePoint[] = table.rows.map((r) => {
    const tText = (r.cells[ti] ?? '').trim();
    const startMs = parseIsoWithOffset(tText);
    if (startMs === undefined) throw new MarketFileError(source, r.row, `column timestamp is "${tText}", expected ISO-8601 with offset, e.g. 2025-04-10T18:00:00-05:00 or …Z`);
    const pText = (r.cells[pi] ?? '').trim();
    const price = parseDecimal(pText);
    if (price === undefined) throw new MarketFileError(source, r.row, `column price_usd_per_mwh is "${pText}", expected a number`);
    return { row: r.row, startMs, priceUsdPerMwh: price };
  });
  if (points.length === 0) throw new MarketFileError(source, 1, 'no price rows after the header');
  const intervalMinutes = opts.intervalMinutes ?? inferIntervalMinutes(points, source);
  if (!Number.isSafeInteger(intervalMinutes) || intervalMinutes <= 0) {
    throw new MarketFileError(source, 1, `intervalMinutes must be a whole number of minutes > 0, got ${intervalMinutes}`);
  }
  const label = (ms: number) => new Date(ms).toISOString();
  return {
    market: 'custom',
    kind: 'custom',
    settlementPoint: opts.settlementPoint ?? 'custom',
    intervalMinutes,
    intervals: contiguousIntervals(points, intervalMinutes, source, label),
  };
}

/**
 * The most common spacing between consecutive starts (the smaller on a tie). The mode, not the
 * minimum, so one stray timestamp is reported as itself rather than making every other step
 * look like a gap.
 */
function inferIntervalMinutes(points: readonly PricePoint[], source: string): number {
  const starts = points.map((p) => p.startMs).sort((a, b) => a - b);
  const counts = new Map<number, number>();
  for (let i = 1; i < starts.length; i++) {
    const d = (starts[i] as number) - (starts[i - 1] as number);
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
  if (!best) throw new MarketFileError(source, points[0]?.row ?? 2, 'cannot infer the interval from a single timestamp; pass intervalMinutes');
  if (best[0] % 60_000 !== 0) throw new MarketFileError(source, 1, `the usual spacing is ${best[0] / 1000} s, not a whole number of minutes`);
  return best[0] / 60_000;
}
