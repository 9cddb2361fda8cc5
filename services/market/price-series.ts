import { MarketFileError } from './file-error.ts';

/**
 * The shape every power-price input becomes (ERCOT postings, a user's own curve), and the
 * checks that make it safe to use: one price per interval, sorted, no holes. A backtest that
 * silently skipped a missing hour would price that hour at whatever came next.
 */

export interface PriceInterval {
  /** Interval start, UTC ms. */
  startMs: number;
  minutes: number;
  priceUsdPerMwh: number;
}

export interface PriceSeries {
  /** 'custom' for a user's `timestamp,price_usd_per_mwh` file. */
  market: 'ERCOT' | 'custom';
  kind: 'dam' | 'rtm' | 'custom';
  settlementPoint: string;
  /** ERCOT's SettlementPointType (HU, LZ, RN, …) where the posting has one. */
  settlementPointType?: string;
  intervalMinutes: number;
  /** Sorted by startMs, contiguous, one per interval. */
  intervals: PriceInterval[];
}

/** One parsed price with the file line it came from. */
export interface PricePoint {
  row: number;
  startMs: number;
  priceUsdPerMwh: number;
}

/**
 * Sort `points` and require exactly one per `intervalMinutes` step from the first to the last.
 * `label` renders an instant for messages (local time for ERCOT, ISO for a user's file).
 */
export function contiguousIntervals(
  points: readonly PricePoint[],
  intervalMinutes: number,
  source: string,
  label: (utcMs: number) => string,
): PriceInterval[] {
  const stepMs = intervalMinutes * 60_000;
  const byStart = new Map<number, PricePoint>();
  for (const p of points) {
    const seen = byStart.get(p.startMs);
    if (seen) {
      const [first, second] = seen.row < p.row ? [seen, p] : [p, seen];
      throw new MarketFileError(source, second.row, `duplicate interval starting ${label(p.startMs)}: row ${second.row} repeats row ${first.row}`);
    }
    byStart.set(p.startMs, p);
  }
  const sorted = [...points].sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as PricePoint;
    const cur = sorted[i] as PricePoint;
    const deltaMs = cur.startMs - prev.startMs;
    if (deltaMs === stepMs) continue;
    if (deltaMs % stepMs === 0) {
      const missing = deltaMs / stepMs - 1;
      throw new MarketFileError(
        source,
        cur.row,
        `gap before this row: missing the interval starting ${label(prev.startMs + stepMs)}` +
          (missing > 1 ? ` and ${missing - 1} more up to ${label(cur.startMs - stepMs)}` : '') +
          ` (previous interval is row ${prev.row}, ${label(prev.startMs)})`,
      );
    }
    throw new MarketFileError(
      source,
      cur.row,
      `interval starting ${label(cur.startMs)} is ${deltaMs / 60_000} minutes after row ${prev.row} (${label(prev.startMs)}); expected a uniform ${intervalMinutes}-minute step`,
    );
  }
  return sorted.map((p) => ({ startMs: p.startMs, minutes: intervalMinutes, priceUsdPerMwh: p.priceUsdPerMwh }));
}
