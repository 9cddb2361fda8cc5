import { MarketFileError } from './file-error.ts';

/**
 * The ERCOT settlement-point-price postings we read, declared by their header names. Columns are
 * found by name, not position, so a re-ordered export still reads; a header that is close to a
 * format but lacks columns is reported as that format with the missing names.
 */

export type ErcotColumn = 'date' | 'hour' | 'interval' | 'name' | 'type' | 'price' | 'repeated';

export interface ErcotFormat {
  id: string;
  title: string;
  kind: 'dam' | 'rtm';
  intervalMinutes: number;
  /** Header name of each column the format has. */
  columns: Partial<Record<ErcotColumn, string>>;
}

export const ERCOT_FORMATS: readonly ErcotFormat[] = [
  {
    // Historical DAM workbook (NP4-180-ER "DAMLZHBSPP"), one sheet saved as CSV.
    id: 'np4-180-extract',
    title: 'ERCOT DAM hourly SPP extract (Delivery Date, Hour Ending, Repeated Hour Flag, …)',
    kind: 'dam',
    intervalMinutes: 60,
    columns: { date: 'Delivery Date', hour: 'Hour Ending', repeated: 'Repeated Hour Flag', name: 'Settlement Point', price: 'Settlement Point Price' },
  },
  {
    // Daily DAM posting; prices are padded with a leading space.
    id: 'np4-190',
    title: 'ERCOT NP4-190 DAM settlement point prices',
    kind: 'dam',
    intervalMinutes: 60,
    columns: { date: 'DeliveryDate', hour: 'HourEnding', name: 'SettlementPoint', price: 'SettlementPointPrice', repeated: 'DSTFlag' },
  },
  {
    // 15-minute RTM posting; a name can repeat with different types (LZ and LZEW, …).
    id: 'np6-905',
    title: 'ERCOT NP6-905 RTM 15-minute settlement point prices',
    kind: 'rtm',
    intervalMinutes: 15,
    columns: {
      date: 'DeliveryDate',
      hour: 'DeliveryHour',
      interval: 'DeliveryInterval',
      name: 'SettlementPointName',
      type: 'SettlementPointType',
      price: 'SettlementPointPrice',
      repeated: 'DSTFlag',
    },
  },
];

export interface ErcotLayout {
  format: ErcotFormat;
  /** Column index of each column the format has. */
  index: Partial<Record<ErcotColumn, number>>;
}

type Match = { format: ErcotFormat; index: Partial<Record<ErcotColumn, number>>; missing: string[]; share: number };

function match(format: ErcotFormat, header: readonly string[]): Match {
  const lower = header.map((h) => h.toLowerCase());
  const index: Partial<Record<ErcotColumn, number>> = {};
  const missing: string[] = [];
  const entries = Object.entries(format.columns) as Array<[ErcotColumn, string]>;
  for (const [column, name] of entries) {
    const at = lower.indexOf(name.toLowerCase());
    if (at < 0) missing.push(name);
    else index[column] = at;
  }
  return { format, index, missing, share: (entries.length - missing.length) / entries.length };
}

/**
 * The ERCOT format whose header this is; undefined when the header is not close to any
 * (at least half of a format's columns present). Throws, naming the columns, when it is close
 * but incomplete.
 */
export function detectErcotLayout(header: readonly string[], source: string): ErcotLayout | undefined {
  const best = ERCOT_FORMATS.map((f) => match(f, header)).sort((a, b) => b.share - a.share)[0];
  if (!best || best.share < 0.5) return undefined;
  if (best.missing.length > 0) {
    throw new MarketFileError(source, 1, `missing column(s) ${best.missing.join(', ')} for ${best.format.title}; header is "${header.join(',')}"`);
  }
  return { format: best.format, index: best.index };
}

/** Like detectErcotLayout, but a header that is no ERCOT format is an error. */
export function requireErcotLayout(header: readonly string[], source: string): ErcotLayout {
  const layout = detectErcotLayout(header, source);
  if (layout) return layout;
  const known = ERCOT_FORMATS.map((f) => `${f.title}: ${Object.values(f.columns).join(',')}`).join('; ');
  throw new MarketFileError(source, 1, `header "${header.join(',')}" is not an ERCOT price posting; known formats: ${known}`);
}
