import { readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { parse as parseYaml } from 'yaml';
import { check } from '../domain/schema.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import { ContextError, wrap } from '../lib/errors.ts';
import type { TelemetryHistory } from '../telemetry/history.ts';
import { isMonth, monthBoundsMs, TenantContract, TenantFile } from './contract.ts';
import { statementFor, type Statement } from './statement.ts';
import { measureMonth, type MonthMeasure } from './usage.ts';

/**
 * The tenant contract ledger: contracts kept in the records store (migration 009), statements
 * computed from the contract and the month's telemetry, and issued statements kept as sent.
 */
export interface TenantStatement {
  tenantId: string;
  tenantName: string;
  month: string;
  statements: Statement[];
  measures: MonthMeasure[];
  totalUsd: number;
}

export function loadTenantFile(path: string): TenantFile {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw wrap(`reading tenant contracts ${path}`, err, 'E_TENANT_FILE');
  }
  const file = check(TenantFile, raw, `tenant contracts ${path}`);
  const ids = new Set<string>();
  for (const c of file.contracts) {
    if (ids.has(c.id)) throw new ContextError('E_TENANT_FILE', `tenant contracts ${path}: contract id ${c.id} appears twice`);
    ids.add(c.id);
  }
  return file;
}

/** A month's measure is reused this long: the page polls every few seconds, the month moves by intervals. */
export const MEASURE_CACHE_MS = 30_000;

export class TenantLedger {
  private readonly measured = new Map<string, { atMs: number; measure: Promise<MonthMeasure> }>();

  constructor(
    private readonly db: Database,
    private readonly history: TelemetryHistory,
    private readonly site: SiteFile,
  ) {}

  /** Adds or replaces contracts (validated once, here). */
  upsert(contracts: readonly TenantContract[], nowMs = Date.now()): void {
    const put = this.db.prepare('INSERT INTO tenant_contracts (id, tenantId, terms, updatedAtMs) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET tenantId = excluded.tenantId, terms = excluded.terms, updatedAtMs = excluded.updatedAtMs');
    const blocks = new Set(this.site.blocks.map((b) => b.id));
    this.db.transaction(() => {
      for (const raw of contracts) {
        const c = check(TenantContract, structuredClone(raw), `tenant contract ${raw.id}`);
        const unknown = c.blockIds.filter((b) => !blocks.has(b));
        if (unknown.length > 0) throw new ContextError('E_TENANT_CONTRACT', `tenant contract ${c.id}: blocks ${unknown.join(', ')} are not in site ${this.site.site.id}`);
        put.run(c.id, c.tenant.id, JSON.stringify(c), nowMs);
      }
    })();
  }

  contracts(): TenantContract[] {
    const rows = this.db.prepare('SELECT terms FROM tenant_contracts ORDER BY tenantId, id').all() as Array<{ terms: string }>;
    return rows.map((r) => JSON.parse(r.terms) as TenantContract);
  }

  tenantContracts(tenantId: string): TenantContract[] {
    return this.contracts().filter((c) => c.tenant.id === tenantId);
  }

  /** The contract's month from the history; the same question within MEASURE_CACHE_MS is answered once. */
  async measure(c: TenantContract, month: string, nowMs = Date.now()): Promise<MonthMeasure> {
    const key = `${c.id}\u0000${month}\u0000${JSON.stringify(c)}`;
    const hit = this.measured.get(key);
    if (hit !== undefined && nowMs >= hit.atMs && nowMs - hit.atMs < MEASURE_CACHE_MS) return hit.measure;
    const measure = measureMonth(this.history, this.site, c, month, nowMs);
    this.measured.set(key, { atMs: nowMs, measure });
    measure.catch(() => this.measured.delete(key));
    if (this.measured.size > 256) this.measured.delete(this.measured.keys().next().value as string);
    return measure;
  }

  /** The tenant's statement for a month: one section per contract in its term. */
  async statement(tenantId: string, month: string, nowMs = Date.now()): Promise<TenantStatement> {
    if (!isMonth(month)) throw new ContextError('E_TENANT_MONTH', `month "${month}" is not YYYY-MM`);
    if (monthBoundsMs(month).startMs > nowMs) throw new ContextError('E_TENANT_MONTH', `${month} has not started yet`);
    const contracts = this.tenantContracts(tenantId);
    if (contracts.length === 0) throw new ContextError('E_TENANT_UNKNOWN', `no tenant "${tenantId}" in the contract ledger`);
    const statements: Statement[] = [];
    const measures: MonthMeasure[] = [];
    for (const c of contracts) {
      const m = await this.measure(c, month, nowMs);
      measures.push(m);
      statements.push(statementFor(c, month, { meteredKwh: m.meteredKwh, availabilityPct: roundPct(m.availability.availabilityPct) }));
    }
    const cents = statements.reduce((s, st) => s + Math.round(st.totalUsd * 100), 0);
    return { tenantId, tenantName: contracts[0]?.tenant.name ?? tenantId, month, statements, measures, totalUsd: cents / 100 };
  }

  /** Freezes a statement as sent. */
  issue(st: TenantStatement, nowMs = Date.now()): void {
    const put = this.db.prepare('INSERT INTO tenant_statements (contractId, month, issuedAtMs, statement) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const s of st.statements) put.run(s.contractId, s.month, nowMs, JSON.stringify(s));
    })();
  }
}

/** Availability is stated to 4 decimals (99.9861 %), as SLAs are written. */
export function roundPct(p: number): number {
  return Math.round(p * 1e4) / 1e4;
}
