import { formatWallTime, wallTimeToUtcMs, type WallResolution, type WallTime } from './central-time.ts';
import { readCsv, type CsvRow, type CsvTable } from './csv.ts';
import { requireErcotLayout, type ErcotLayout } from './ercot-formats.ts';
import { readKey, readRecord, type SettlementPointKey } from './ercot-rows.ts';
import { MarketFileError } from './file-error.ts';
import { contiguousIntervals, type PricePoint, type PriceSeries } from './price-series.ts';

/**
 * ERCOT settlement-point price postings (DAM hourly, RTM 15-minute) → one PriceSeries.
 * Pure: text in, data out. Every row of the file is parsed, so a corrupt posting fails whatever
 * point is asked for; duplicates and gaps are checked on the selected point's series.
 */

export interface ErcotParseOptions {
  /** File name, for error messages. */
  source: string;
  /** Settlement point name (HB_NORTH, LZ_WEST, …); may be left out when the file has only one. */
  settlementPoint?: string;
  /** Settlement point type (HU, LZ, LZEW, RN, …), needed where a name has several (RTM only). */
  settlementPointType?: string;
}

export interface SettlementPointRef {
  name: string;
  type?: string;
}

export function parseErcotPrices(text: string, opts: ErcotParseOptions): PriceSeries {
  return ercotSeriesFromTable(readCsv(text, opts.source), opts);
}

/** The same for a table that did not come from CSV text (an ERCOT public API report). */
export function ercotSeriesFromTable(table: CsvTable, opts: ErcotParseOptions): PriceSeries {
  const { source } = opts;
  const layout = requireErcotLayout(table.header, source);
  const wanted = selectPoint(table.rows, layout, opts);

  const cache = new Map<string, WallResolution>();
  const resolve = (wall: WallTime, repeated: boolean): WallResolution => {
    const k = `${wall.year}-${wall.month}-${wall.day}-${wall.minuteOfDay}-${repeated}`;
    let hit = cache.get(k);
    if (!hit) cache.set(k, (hit = wallTimeToUtcMs(wall, repeated)));
    return hit;
  };
  const points: PricePoint[] = [];
  for (const r of table.rows) {
    const rec = readRecord(r, layout, source, resolve);
    if (rec.name === wanted.name && rec.type === wanted.type) points.push(rec);
  }
  const intervals = contiguousIntervals(points, layout.format.intervalMinutes, source, formatWallTime);
  return {
    market: 'ERCOT',
    kind: layout.format.kind,
    settlementPoint: wanted.name,
    ...(wanted.type !== undefined ? { settlementPointType: wanted.type } : {}),
    intervalMinutes: layout.format.intervalMinutes,
    intervals,
  };
}

/** The settlement points in a posting, hubs and load zones first, then by name and type. */
export function listSettlementPoints(text: string, source = 'ERCOT posting'): SettlementPointRef[] {
  const table = readCsv(text, source);
  const layout = requireErcotLayout(table.header, source);
  return distinctPoints(table.rows, layout, source).map(({ name, type }) => (type === undefined ? { name } : { name, type }));
}

/** First row of each distinct (name, type), in display order. */
function distinctPoints(rows: readonly CsvRow[], layout: ErcotLayout, source: string): SettlementPointKey[] {
  const seen = new Map<string, SettlementPointKey>();
  for (const r of rows) {
    const key = readKey(r, layout, source);
    const id = `${key.name}\u0000${key.type ?? ''}`;
    if (!seen.has(id)) seen.set(id, key);
  }
  // Hubs and load zones are what a site is usually settled at; show them before 1000 nodes.
  const rank = (name: string) => (name.startsWith('HB_') ? 0 : name.startsWith('LZ_') ? 1 : 2);
  // Code-point order: names are ASCII, and localeCompare is slow over a thousand nodes.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...seen.values()].sort((a, b) => rank(a.name) - rank(b.name) || cmp(a.name, b.name) || cmp(a.type ?? '', b.type ?? ''));
}

function describe(points: readonly SettlementPointKey[], limit = 8): string {
  const shown = points.slice(0, limit).map((p) => (p.type ? `${p.name} (${p.type})` : p.name));
  return `${shown.join(', ')}${points.length > limit ? `, … (${points.length} in all)` : ''}`;
}

/** The one (name, type) the caller means, or an error that says how to name it. */
function selectPoint(rows: readonly CsvRow[], layout: ErcotLayout, opts: ErcotParseOptions): SettlementPointKey {
  const { source } = opts;
  const all = distinctPoints(rows, layout, source);
  const hasType = layout.index.type !== undefined;
  if (opts.settlementPointType !== undefined && !hasType) {
    throw new MarketFileError(source, 1, `settlementPointType "${opts.settlementPointType}" given, but ${layout.format.title} has no settlement point type column`);
  }
  if (opts.settlementPoint === undefined) {
    if (all.length === 1) return all[0] as SettlementPointKey;
    throw new MarketFileError(source, 1, `the file has ${all.length} settlement points; choose one, e.g. ${describe(all)}`);
  }
  const name = opts.settlementPoint.trim().toUpperCase();
  const byName = all.filter((p) => p.name.toUpperCase() === name);
  if (byName.length === 0) {
    throw new MarketFileError(source, 1, `settlement point "${opts.settlementPoint}" is not in the file (searched rows 2–${rows.at(-1)?.row ?? 1}); it has ${describe(all)}`);
  }
  if (opts.settlementPointType !== undefined) {
    const type = opts.settlementPointType.trim().toUpperCase();
    const hit = byName.find((p) => p.type?.toUpperCase() === type);
    if (hit) return hit;
    throw new MarketFileError(source, 1, `settlement point ${byName[0]?.name} has no type "${opts.settlementPointType}"; its types: ${byName.map((p) => `${p.type} (row ${p.row})`).join(', ')}`);
  }
  if (byName.length > 1) {
    const [first, second] = [...byName].sort((a, b) => a.row - b.row);
    throw new MarketFileError(
      source,
      (second as SettlementPointKey).row,
      `settlement point ${first?.name} is ambiguous: it appears with types ${byName.map((p) => `${p.type} (first at row ${p.row})`).join(', ')}; pass settlementPointType`,
    );
  }
  return byName[0] as SettlementPointKey;
}
