import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { SiteFile } from '../domain/site-schema.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { createQueue, type JobQueue } from '../queue/index.ts';
import { loadMarketSources } from '../scheduler/market-sources.ts';
import type { TelemetryHistory } from '../telemetry/history.ts';
import { debtExposure } from './exposure.ts';
import { LedgerService, type LedgerJob } from './ledger-service.ts';
import { LedgerStore } from './ledger-store.ts';
import { loadCompanyFile, type Company } from './load-company.ts';
import { debtReport, type DebtReport } from './report.ts';

/**
 * The finance side of a running control plane: the ledger job (daily close + intraday
 * provisional on the queue) and the company's debt exposure, for the API
 * (services/api/routes/finance.ts). The company file is re-read when it changes on disk; its
 * debt report is cached for a minute (the covenant break search prices the model many times).
 */

export interface FinanceApi {
  ledger: LedgerStore;
  /** The company's debt report; throws with the reason when there is no company file or it is bad. */
  debt(): DebtReport;
  companyPath: string | null;
}

export interface FinanceServiceOptions {
  site: SiteFile;
  sitePath: string;
  db: Database.Database;
  /** Curtailment events (services/platform/records.ts); the SQLite db's when absent. */
  events?: import('../curtailment/event-store.ts').EventRecords;
  history: TelemetryHistory;
  queue: JobQueue<LedgerJob>;
  /** SWITCHYARD_COMPANY: the company file; null runs the ledger without debt reports. */
  companyPath: string | null;
  log: Logger;
  now?: () => number;
  everyMinutes?: number;
}

export class FinanceService implements FinanceApi {
  readonly ledger: LedgerStore;
  readonly companyPath: string | null;
  private service: LedgerService | null = null;
  private company: { mtimeMs: number; value: Company } | null = null;
  private cached: { atMs: number; report: DebtReport } | null = null;
  private readonly now: () => number;
  /** Why the ledger job is not running, when it is not. */
  ledgerOff: string | null = null;

  constructor(private readonly o: FinanceServiceOptions) {
    this.ledger = new LedgerStore(o.db);
    this.companyPath = o.companyPath;
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    let market;
    try {
      market = await loadMarketSources({ site: this.o.site, sitePath: this.o.sitePath });
    } catch (err) {
      // A site without a hashprice or prices cannot be priced: the ledger stays off (and says
      // why once); the debt reports still work. The platform runs either way.
      this.ledgerOff = errorMessage(err);
      this.o.log.warn({ err: this.ledgerOff }, 'finance ledger off: the site has no market data to price it');
      return;
    }
    let btcPriceUsd: number | undefined;
    try {
      btcPriceUsd = this.companyPath ? this.loadCompany().file.outlook.btcPriceUsd : undefined;
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'company file unreadable: debt reports will say why');
    }
    this.service = new LedgerService({
      site: this.o.site,
      db: this.o.db,
      ...(this.o.events ? { events: this.o.events } : {}),
      history: this.o.history,
      market,
      queue: this.o.queue,
      log: this.o.log,
      now: this.now,
      ...(btcPriceUsd !== undefined ? { btcPriceUsd } : {}),
      ...(this.o.everyMinutes !== undefined ? { everyMinutes: this.o.everyMinutes } : {}),
    });
    await this.service.start();
    this.o.log.info({ company: this.companyPath, hashprice: market.hashpriceSource }, 'finance ledger scheduled');
  }

  async stop(): Promise<void> {
    await this.service?.stop();
  }

  /** Runs the ledger job now (yesterday final, today provisional): tests and the first page load. */
  async closeNow(): Promise<void> {
    await this.service?.closeAndProvisional();
  }

  /** Recomputes one UTC day of the ledger now. */
  async computeDay(dayStartMs: number): Promise<void> {
    if (!this.service) throw new Error(this.ledgerOff ? `finance ledger off: ${this.ledgerOff}` : 'finance service not started');
    await this.service.computeDay(dayStartMs);
  }

  debt(): DebtReport {
    const nowMs = this.now();
    if (this.cached && nowMs - this.cached.atMs < 60_000 && this.company && this.company.mtimeMs === this.mtime()) return this.cached.report;
    const today = Math.floor(nowMs / 86_400_000) * 86_400_000;
    const realised = this.ledger.realised(today - 365 * 86_400_000, today);
    const report = debtReport(debtExposure(this.loadCompany(), { nowMs, realised }));
    this.cached = { atMs: nowMs, report };
    return report;
  }

  private mtime(): number {
    return this.companyPath ? (statSync(this.companyPath, { throwIfNoEntry: false })?.mtimeMs ?? -1) : -1;
  }

  private loadCompany(): Company {
    if (!this.companyPath) throw new Error('no company file: start with SWITCHYARD_COMPANY=FILE (a company YAML listing the site files and the debt book)');
    const mtimeMs = this.mtime();
    if (!this.company || this.company.mtimeMs !== mtimeMs) this.company = { mtimeMs, value: loadCompanyFile(this.companyPath) };
    return this.company.value;
  }
}

/**
 * The company file a running platform uses: SWITCHYARD_COMPANY, else `<site>-company.yaml`
 * next to the site file when there is one (infra/sites/demo-company.yaml for the demo), else none.
 */
export function companyPathFor(sitePath: string, env: NodeJS.ProcessEnv): string | null {
  if (env.SWITCHYARD_COMPANY) return env.SWITCHYARD_COMPANY;
  const sibling = sitePath.replace(/\.ya?ml$/i, '-company.yaml');
  return sibling !== sitePath && statSync(sibling, { throwIfNoEntry: false })?.isFile() ? sibling : null;
}

/** Wiring for the platform: the ledger queue, the service, started; stop() undoes it. */
export async function startFinance(o: Omit<FinanceServiceOptions, 'queue' | 'companyPath'> & { env: NodeJS.ProcessEnv; companyPath?: string }): Promise<{ api: FinanceService; stop: () => Promise<void> }> {
  const queue = createQueue<LedgerJob>('finance-ledger', { env: o.env, keepCompleted: 20, keepFailed: 20 });
  const minutes = o.env.SWITCHYARD_LEDGER_EVERY_MINUTES ? Number(o.env.SWITCHYARD_LEDGER_EVERY_MINUTES) : undefined;
  if (minutes !== undefined && !(Number.isFinite(minutes) && minutes > 0)) throw new Error(`SWITCHYARD_LEDGER_EVERY_MINUTES must be a positive number, got "${o.env.SWITCHYARD_LEDGER_EVERY_MINUTES}"`);
  const api = new FinanceService({ ...o, queue, companyPath: o.companyPath ?? companyPathFor(o.sitePath, o.env), ...(minutes !== undefined ? { everyMinutes: minutes } : {}) });
  await api.start();
  return {
    api,
    stop: async () => {
      await api.stop();
      await queue.close();
    },
  };
}
