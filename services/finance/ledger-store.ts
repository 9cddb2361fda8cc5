import type Database from 'better-sqlite3';
import type { LedgerRow } from './ledger.ts';

/**
 * The ledger in the records database (migration 006_finance_ledger.sql). Recomputing a period
 * replaces its rows in one transaction; reads aggregate in SQL. Sums are plain sums of the
 * stored per-period figures, so a range total equals the sum of its days to the cent.
 */

export type LedgerStatus = 'final' | 'provisional';
export type GroupBy = 'block' | 'contract' | 'day' | 'hour';

export interface StoredLedgerRow extends LedgerRow {
  siteId: string;
  status: LedgerStatus;
}

export interface MarginGroup {
  /** Block id, contract id ('(mining)' for blocks without one) or day (YYYY-MM-DD). */
  key: string;
  days: number;
  capacityMw: number;
  meteredMwh: number;
  btcEarned: number;
  miningRevenueUsd: number;
  aiRevenueUsd: number;
  passThroughUsd: number;
  slaCreditUsd: number;
  energyCostUsd: number;
  creditsUsd: number;
  restartCostUsd: number;
  marginUsd: number;
  /** margin / (MW × days): MW is the group's block capacity (summed over its blocks). */
  marginUsdPerMwDay: number | null;
  marginUsdPerMwh: number | null;
  /** Revenue (mining + AI + credits) per metered MWh, and the price paid per MWh. */
  revenueUsdPerMwh: number | null;
  priceUsdPerMwh: number | null;
  provisional: boolean;
}

const COLUMNS = [
  'siteId', 'blockId', 'periodStartMs', 'periodHours', 'status', 'contractId', 'hoursMeasured', 'capacityMw', 'meteredMwh', 'hashratePhs',
  'hashpriceUsdPerPhDay', 'btcEarned', 'miningRevenueUsd', 'aiRentUsd', 'slaCreditUsd', 'passThroughUsd', 'aiRevenueUsd', 'energyCostUsd',
  'creditsUsd', 'restartCostUsd', 'marginUsd', 'computedAtMs',
] as const;

export class LedgerStore {
  private readonly upsert: Database.Statement;
  private readonly clearDay: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(`INSERT OR REPLACE INTO finance_ledger (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`);
    this.clearDay = db.prepare('DELETE FROM finance_ledger WHERE siteId = ? AND periodStartMs >= ? AND periodStartMs < ?');
  }

  /** Replaces the rows of one site's period (a day's rows, or that day's hourly rows too). */
  save(siteId: string, rows: readonly LedgerRow[], status: LedgerStatus, nowMs: number): void {
    this.db.transaction(() => {
      for (const r of rows) {
        this.upsert.run({
          siteId, blockId: r.blockId, periodStartMs: r.startMs, periodHours: r.periodHours, status, contractId: r.contractId,
          hoursMeasured: r.hoursMeasured, capacityMw: r.capacityMw, meteredMwh: r.meteredMwh, hashratePhs: r.hashratePhs,
          hashpriceUsdPerPhDay: r.hashpriceUsdPerPhDay, btcEarned: r.btcEarned, miningRevenueUsd: r.miningRevenueUsd, aiRentUsd: r.aiRentUsd,
          slaCreditUsd: r.slaCreditUsd, passThroughUsd: r.passThroughUsd, aiRevenueUsd: r.aiRevenueUsd, energyCostUsd: r.energyCostUsd,
          creditsUsd: r.creditsUsd, restartCostUsd: r.restartCostUsd, marginUsd: r.marginUsd, computedAtMs: nowMs,
        });
      }
    })();
  }

  /** Replaces a site's day: its day rows (and hourly rows) go, then the new ones are written, in one transaction. */
  replaceDay(siteId: string, dayStartMs: number, days: readonly LedgerRow[], hours: readonly LedgerRow[], status: LedgerStatus, nowMs: number): void {
    this.db.transaction(() => {
      this.clearDay.run(siteId, dayStartMs, dayStartMs + 86_400_000);
      this.save(siteId, days, status, nowMs);
      this.save(siteId, hours, 'provisional', nowMs);
    })();
  }

  /** Day rows with periodStartMs in [fromMs, toMs) (of one block when given), grouped. */
  margins(fromMs: number, toMs: number, groupBy: GroupBy, blockId?: string): MarginGroup[] {
    const key =
      groupBy === 'block'
        ? 'blockId'
        : groupBy === 'contract'
          ? "COALESCE(contractId, '(mining)')"
          : groupBy === 'day'
            ? "strftime('%Y-%m-%d', periodStartMs / 1000, 'unixepoch')"
            : "strftime('%Y-%m-%dT%H:00Z', periodStartMs / 1000, 'unixepoch')";
    // Day rows, or for groupBy=hour the hourly rows (kept for the current day, provisional).
    const hours = groupBy === 'hour' ? 1 : 24;
    // Capacity of a group: per day, the sum over its blocks; over the range, the mean of that.
    const rows = this.db
      .prepare(
        `SELECT ${key} AS key, COUNT(DISTINCT periodStartMs) * ${hours} / 24.0 AS days, SUM(capacityMw) * ${hours} / 24.0 AS mwDays,
          SUM(meteredMwh) AS meteredMwh, SUM(COALESCE(btcEarned, 0)) AS btcEarned, SUM(miningRevenueUsd) AS miningRevenueUsd,
          SUM(aiRevenueUsd) AS aiRevenueUsd, SUM(passThroughUsd) AS passThroughUsd, SUM(slaCreditUsd) AS slaCreditUsd,
          SUM(energyCostUsd) AS energyCostUsd, SUM(creditsUsd) AS creditsUsd, SUM(restartCostUsd) AS restartCostUsd,
          SUM(marginUsd) AS marginUsd, MAX(status = 'provisional') AS provisional
        FROM finance_ledger WHERE periodHours = ${hours} AND periodStartMs >= ? AND periodStartMs < ?${blockId === undefined ? '' : ' AND blockId = ?'}
        GROUP BY key ORDER BY key`,
      )
      .all(...(blockId === undefined ? [fromMs, toMs] : [fromMs, toMs, blockId])) as Array<Omit<MarginGroup, 'marginUsdPerMwDay' | 'marginUsdPerMwh' | 'revenueUsdPerMwh' | 'priceUsdPerMwh' | 'capacityMw' | 'provisional'> & { mwDays: number; provisional: number }>;
    return rows.map(({ mwDays, provisional, ...r }) => ({
      ...r,
      capacityMw: r.days > 0 ? mwDays / r.days : 0,
      marginUsdPerMwDay: mwDays > 0 ? r.marginUsd / mwDays : null,
      marginUsdPerMwh: r.meteredMwh > 0 ? r.marginUsd / r.meteredMwh : null,
      revenueUsdPerMwh: r.meteredMwh > 0 ? (r.miningRevenueUsd + r.aiRevenueUsd + r.creditsUsd) / r.meteredMwh : null,
      priceUsdPerMwh: r.meteredMwh > 0 ? r.energyCostUsd / r.meteredMwh : null,
      provisional: provisional === 1,
    }));
  }

  /** Days with rows and their summed margin over [fromMs, toMs): the trailing DSCR's input. */
  realised(fromMs: number, toMs: number): { days: number; marginUsd: number } {
    const r = this.db.prepare('SELECT COUNT(DISTINCT periodStartMs) AS days, COALESCE(SUM(marginUsd), 0) AS marginUsd FROM finance_ledger WHERE periodHours = 24 AND periodStartMs >= ? AND periodStartMs < ?').get(fromMs, toMs) as { days: number; marginUsd: number };
    return r;
  }

  /** Raw rows (days, or the hours of the current day) for a range. */
  rows(fromMs: number, toMs: number, periodHours: 1 | 24): StoredLedgerRow[] {
    return this.db
      .prepare('SELECT * FROM finance_ledger WHERE periodHours = ? AND periodStartMs >= ? AND periodStartMs < ? ORDER BY periodStartMs, blockId')
      .all(periodHours, fromMs, toMs)
      .map((r) => {
        const x = r as StoredLedgerRow & { computedAtMs?: number };
        delete x.computedAtMs;
        const mwDays = x.capacityMw * (x.periodHours / 24);
        return {
          ...x,
          startMs: (r as { periodStartMs: number }).periodStartMs,
          marginUsdPerMwDay: mwDays > 0 ? x.marginUsd / mwDays : 0,
          marginUsdPerMwh: x.meteredMwh > 0 ? x.marginUsd / x.meteredMwh : null,
          priceUsdPerMwh: x.meteredMwh > 0 ? x.energyCostUsd / x.meteredMwh : null,
        };
      });
  }
}
