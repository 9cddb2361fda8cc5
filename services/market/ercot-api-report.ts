import { Type, type Static } from '@sinclair/typebox';
import { check, ValidationError } from '../domain/schema.ts';
import type { CsvRow, CsvTable } from './csv.ts';
import { ercotSeriesFromTable } from './ercot.ts';
import { MarketFileError } from './file-error.ts';
import type { PriceSeries } from './price-series.ts';

/**
 * The ERCOT public API's price reports (api.ercot.com/api/public-reports/…) → PriceSeries.
 * Pure: JSON in, data out. A report answers `{ _meta: { totalPages, currentPage, … },
 * fields: [{ name, … }], data: [[cell, …], …] }`, each data row in the order of `fields`.
 * The field names are the CSV postings' column names in camelCase (deliveryDate, hourEnding,
 * settlementPointPrice, DSTFlag) except that NP6-905's point is `settlementPoint` where its
 * CSV says SettlementPointName; the flag is a JSON boolean. So a report is turned into the
 * posting's table and read by the same row parser as the CSV files (ercot-rows.ts).
 */

export type ErcotApiReportKind = 'rtm' | 'dam';

export interface ErcotApiReport {
  kind: ErcotApiReportKind;
  /** EMIL id and endpoint under the public-reports base URL. */
  path: string;
  title: string;
  /** API field name → the CSV posting's column name, where they differ other than in case. */
  rename: Readonly<Record<string, string>>;
}

export const ERCOT_API_REPORTS: Readonly<Record<ErcotApiReportKind, ErcotApiReport>> = Object.freeze({
  rtm: { kind: 'rtm', path: 'np6-905-cd/spp_node_zone_hub', title: 'NP6-905-CD real-time 15-minute settlement point prices', rename: { settlementpoint: 'SettlementPointName' } },
  dam: { kind: 'dam', path: 'np4-190-cd/dam_stlmnt_pnt_prices', title: 'NP4-190-CD day-ahead hourly settlement point prices', rename: {} },
});

// Only what is read is checked; ERCOT adds report metadata and field attributes freely.
const Cell = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
export const ErcotApiPage = Type.Object({
  _meta: Type.Optional(Type.Object({ totalPages: Type.Optional(Type.Integer({ minimum: 0 })), currentPage: Type.Optional(Type.Integer({ minimum: 0 })) })),
  fields: Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }), { minItems: 1 }),
  data: Type.Array(Type.Array(Cell)),
});
export type ErcotApiPage = Static<typeof ErcotApiPage>;

/** Checks one page's shape; the error names the report. */
export function checkErcotApiPage(json: unknown, source: string): ErcotApiPage {
  try {
    return check(ErcotApiPage, json, `${source} response`);
  } catch (err) {
    if (err instanceof ValidationError) throw new MarketFileError(source, 1, err.message, { cause: err });
    throw err;
  }
}

function cellText(v: string | number | boolean | null): string {
  if (typeof v === 'boolean') return v ? 'Y' : 'N';
  return v === null ? '' : String(v);
}

/**
 * The pages of one report as a posting table. Row numbers are positions in the concatenated
 * data arrays (1-based, as MarketFileError documents for JSON), offset by one so that, as in
 * a CSV, row 1 is the header.
 */
export function ercotApiTable(report: ErcotApiReport, pages: readonly ErcotApiPage[], source: string): CsvTable {
  const first = pages[0];
  if (!first) throw new MarketFileError(source, 1, 'no pages');
  const names = first.fields.map((f) => f.name);
  const header = names.map((n) => report.rename[n.toLowerCase()] ?? n);
  const rows: CsvRow[] = [];
  let row = 1;
  for (const [p, page] of pages.entries()) {
    const these = page.fields.map((f) => f.name).join(',');
    if (these !== names.join(',')) throw new MarketFileError(source, row + 1, `page ${p + 1} has fields ${these}, page 1 has ${names.join(',')}`);
    for (const cells of page.data) {
      row++;
      if (cells.length !== names.length) throw new MarketFileError(source, row, `expected ${names.length} values (${names.join(',')}), found ${cells.length}`);
      rows.push({ row, cells: cells.map(cellText) });
    }
  }
  return { header, rows };
}

export interface ErcotApiParseOptions {
  source: string;
  settlementPoint: string;
  settlementPointType?: string;
}

/** One settlement point's intervals from a report's pages (sorted, contiguous, one per interval). */
export function parseErcotApiReport(report: ErcotApiReport, pages: readonly unknown[], opts: ErcotApiParseOptions): PriceSeries {
  const checked = pages.map((p, i) => checkErcotApiPage(p, `${opts.source} page ${i + 1}`));
  const table = ercotApiTable(report, checked, opts.source);
  if (table.rows.length === 0) return emptySeries(report, opts);
  return ercotSeriesFromTable(table, opts);
}

function emptySeries(report: ErcotApiReport, opts: ErcotApiParseOptions): PriceSeries {
  return {
    market: 'ERCOT',
    kind: report.kind,
    settlementPoint: opts.settlementPoint,
    ...(opts.settlementPointType !== undefined ? { settlementPointType: opts.settlementPointType } : {}),
    intervalMinutes: report.kind === 'rtm' ? 15 : 60,
    intervals: [],
  };
}
