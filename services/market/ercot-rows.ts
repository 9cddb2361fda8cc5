import { wallTimeToUtcMs, type WallTime } from './central-time.ts';
import { parseDecimal, type CsvRow } from './csv.ts';
import type { ErcotColumn, ErcotLayout } from './ercot-formats.ts';
import { MarketFileError } from './file-error.ts';

/**
 * One ERCOT posting row → settlement point, interval start (UTC) and price. ERCOT labels time by
 * hour ending in Central Prevailing Time: hour ending 01:00 is 00:00–01:00 local, 24:00 ends the
 * day, an RTM DeliveryInterval k (1..4) is minutes 15(k−1)..15k of its hour, and the flag Y marks
 * the second pass through 01:00–02:00 on the fall-back day (hour ending 02:00 appears twice).
 */

export interface ErcotRecord {
  row: number;
  name: string;
  type?: string;
  startMs: number;
  priceUsdPerMwh: number;
}

export interface SettlementPointKey {
  row: number;
  name: string;
  type?: string;
}

function cell(r: CsvRow, layout: ErcotLayout, column: ErcotColumn): string {
  const at = layout.index[column];
  return at === undefined ? '' : (r.cells[at] ?? '').trim();
}

/** Name and type only: enough to list or select points without reading every value. */
export function readKey(r: CsvRow, layout: ErcotLayout, source: string): SettlementPointKey {
  const name = cell(r, layout, 'name');
  if (name === '') throw bad(source, r, layout, 'name', name, 'a settlement point name');
  if (layout.index.type === undefined) return { row: r.row, name };
  const type = cell(r, layout, 'type');
  if (type === '') throw bad(source, r, layout, 'type', type, 'a settlement point type');
  return { row: r.row, name, type };
}

function bad(source: string, r: CsvRow, layout: ErcotLayout, column: ErcotColumn, text: string, want: string): MarketFileError {
  return new MarketFileError(source, r.row, `column ${layout.format.columns[column]} is "${text}", expected ${want}`);
}

const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(text: string): Omit<WallTime, 'minuteOfDay'> | undefined {
  const us = US_DATE.exec(text);
  const iso = us ? undefined : ISO_DATE.exec(text);
  const [year, month, day] = us ? [Number(us[3]), Number(us[1]), Number(us[2])] : iso ? [Number(iso[1]), Number(iso[2]), Number(iso[3])] : [];
  if (year === undefined || month === undefined || day === undefined) return undefined;
  const d = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 02/30 over to 03/02; a real date survives the round trip.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

/** "01:00", "1" or "24" → 1..24. ERCOT never posts an hour 25: the repeat is the flag's job. */
function parseHourEnding(text: string): number | undefined {
  const m = /^(\d{1,2})(?::00)?$/.exec(text);
  const h = m ? Number(m[1]) : NaN;
  return h >= 1 && h <= 24 ? h : undefined;
}

function parseFlag(text: string): boolean | undefined {
  const t = text.toUpperCase();
  return t === 'Y' ? true : t === 'N' ? false : undefined;
}

/**
 * Parses one row fully. `resolve` caches wall-time lookups: a day-long posting has thousands of
 * rows but only 24 (or 96) distinct times, and each lookup costs several Intl calls.
 */
export function readRecord(r: CsvRow, layout: ErcotLayout, source: string, resolve: (wall: WallTime, repeated: boolean) => ReturnType<typeof wallTimeToUtcMs>): ErcotRecord {
  const key = readKey(r, layout, source);
  const dateText = cell(r, layout, 'date');
  const date = parseDate(dateText);
  if (!date) throw bad(source, r, layout, 'date', dateText, 'a date MM/DD/YYYY');
  const hourText = cell(r, layout, 'hour');
  const hourEnding = parseHourEnding(hourText);
  if (hourEnding === undefined) throw bad(source, r, layout, 'hour', hourText, 'an hour ending 01:00..24:00');
  let slice = 1;
  if (layout.index.interval !== undefined) {
    const text = cell(r, layout, 'interval');
    slice = /^[1-4]$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(slice)) throw bad(source, r, layout, 'interval', text, 'an interval 1..4');
  }
  const flagText = cell(r, layout, 'repeated');
  const repeated = parseFlag(flagText);
  if (repeated === undefined) throw bad(source, r, layout, 'repeated', flagText, 'Y or N');
  const priceText = cell(r, layout, 'price');
  const price = parseDecimal(priceText);
  if (price === undefined) throw bad(source, r, layout, 'price', priceText, 'a price in $/MWh');

  const minuteOfDay = (hourEnding - 1) * 60 + (slice - 1) * layout.format.intervalMinutes;
  const at = resolve({ ...date, minuteOfDay }, repeated);
  if ('problem' in at) {
    const hh = String(Math.floor(minuteOfDay / 60)).padStart(2, '0');
    const mm = String(minuteOfDay % 60).padStart(2, '0');
    throw new MarketFileError(source, r.row, `${dateText} hour ending ${hourText}${layout.index.interval !== undefined ? ` interval ${slice}` : ''}${repeated ? ' (flag Y)' : ''}: start ${hh}:${mm} local ${at.problem}`);
  }
  return { ...key, startMs: at.utcMs, priceUsdPerMwh: price };
}
