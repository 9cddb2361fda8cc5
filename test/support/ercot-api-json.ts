import { readCsv } from '../../services/market/csv.ts';
import { requireErcotLayout, type ErcotColumn } from '../../services/market/ercot-formats.ts';

/**
 * Builds ERCOT public API report pages (`{ _meta, report, fields, data }`) from a recorded
 * ERCOT CSV posting, row for row: the API carries the same values as the posting, with
 * camelCase field names, ISO dates, numbers as JSON numbers and the DST flag as a boolean.
 * Used to serve real recorded prices in the API's shape on loopback (no recorded API answer is
 * in the fixtures).
 */

export type ApiShape = 'np4-190-cd' | 'np6-905-cd';

const FIELDS: Record<ApiShape, Array<[string, ErcotColumn]>> = {
  'np4-190-cd': [
    ['deliveryDate', 'date'],
    ['hourEnding', 'hour'],
    ['settlementPoint', 'name'],
    ['settlementPointPrice', 'price'],
    ['DSTFlag', 'repeated'],
  ],
  'np6-905-cd': [
    ['deliveryDate', 'date'],
    ['deliveryHour', 'hour'],
    ['deliveryInterval', 'interval'],
    ['settlementPoint', 'name'],
    ['settlementPointType', 'type'],
    ['settlementPointPrice', 'price'],
    ['DSTFlag', 'repeated'],
  ],
};

export type ApiRow = Array<string | number | boolean>;

/** The posting's rows as API data rows; `keep` filters on the posting's values (e.g. one point). */
export function apiRowsFromPosting(csv: string, shape: ApiShape, keep: (row: Record<ErcotColumn, string>) => boolean = () => true): ApiRow[] {
  const table = readCsv(csv, 'posting');
  const layout = requireErcotLayout(table.header, 'posting');
  const out: ApiRow[] = [];
  for (const r of table.rows) {
    const v = {} as Record<ErcotColumn, string>;
    for (const [col, at] of Object.entries(layout.index) as Array<[ErcotColumn, number]>) v[col] = (r.cells[at] ?? '').trim();
    if (!keep(v)) continue;
    const [mm, dd, yyyy] = v.date.split('/');
    out.push(
      FIELDS[shape].map(([, col]): string | number | boolean => {
        if (col === 'date') return `${yyyy}-${mm}-${dd}`;
        if (col === 'price') return Number(v.price);
        if (col === 'repeated') return v.repeated === 'Y';
        if (col === 'hour' && shape === 'np6-905-cd') return Number(v.hour);
        if (col === 'interval') return Number(v.interval);
        return v[col];
      }),
    );
  }
  return out;
}

/** Splits rows into report pages of `pageSize`, each with the API's envelope. */
export function apiPages(shape: ApiShape, rows: readonly ApiRow[], pageSize: number): unknown[] {
  const totalPages = Math.max(1, Math.ceil(rows.length / pageSize));
  const pages: unknown[] = [];
  for (let p = 0; p < totalPages; p++) {
    pages.push({
      _meta: { totalRecords: rows.length, pageSize, totalPages, currentPage: p + 1 },
      report: { reportEMILId: shape.toUpperCase() },
      fields: FIELDS[shape].map(([name]) => ({ name, label: name, dataType: 'VARCHAR', hasRange: false })),
      data: rows.slice(p * pageSize, (p + 1) * pageSize),
    });
  }
  return pages;
}
