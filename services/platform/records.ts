import { AuditLog, type AuditStore } from '../api/audit/audit-log.ts';
import { PgAuditLog } from '../api/audit/pg-audit-log.ts';
import { SqliteTokenRecords, type TokenRecords } from '../api/auth/token-records.ts';
import { PgTokenRecords } from '../api/auth/pg-token-records.ts';
import { SqliteEventStore, type EventRecords } from '../curtailment/event-store.ts';
import { PgEventStore } from '../curtailment/pg-event-store.ts';
import { SqlitePlanRecords, type PlanRecords } from '../scheduler/plan-records.ts';
import { PgPlanRecords } from '../scheduler/pg-plan-records.ts';
import { openPgStore, redactUrl } from '../store/pg.ts';
import { openStore, type RecordsStore } from '../store/sqlite.ts';
import { SqliteIngestLedger, type IngestLedger } from '../telemetry/ingest-ledger.ts';
import { PgIngestLedger } from '../telemetry/pg-ingest-ledger.ts';
import { SqliteSimulationRecords, type SimulationRecords } from '../../simulations/finance/simulation-records.ts';
import { PgSimulationRecords } from '../../simulations/finance/pg-simulation-records.ts';

/**
 * The records, wherever they live: the one place that picks the backend. DATABASE_URL set:
 * PostgreSQL, so several control-plane instances share them; unset: the SQLite file in the
 * data dir (the embedded default). Each family has one async interface with both
 * implementations (test/support/records-contract.ts runs the same cases on each).
 *
 * Still only in SQLite, whatever DATABASE_URL says (`sqlite` below): settings, the finance
 * ledger, and tenant contracts and statements. Two instances on one PostgreSQL keep those per
 * instance (the finance ledger is recomputed from the history; tenant terms come from a file).
 */
export interface Records {
  readonly kind: 'sqlite' | 'postgres';
  /** Where they are, for logs (a PostgreSQL URL without its password, or the SQLite file). */
  readonly where: string;
  audit: AuditStore;
  tokens: TokenRecords;
  ingest: IngestLedger;
  plans: PlanRecords;
  events: EventRecords;
  simulations: SimulationRecords;
  /** The SQLite records store of the data dir (the families not yet in PostgreSQL). */
  sqlite: RecordsStore;
  close(): Promise<void>;
}

export async function openRecords(opts: { dataDir: string; env: NodeJS.ProcessEnv }): Promise<Records> {
  const sqlite = openStore({ dataDir: opts.dataDir });
  const url = opts.env.DATABASE_URL;
  if (!url) {
    const db = sqlite.db;
    return {
      kind: 'sqlite',
      where: sqlite.path,
      audit: new AuditLog(db),
      tokens: new SqliteTokenRecords(db),
      ingest: new SqliteIngestLedger(db),
      plans: new SqlitePlanRecords(db),
      events: new SqliteEventStore(db),
      simulations: new SqliteSimulationRecords(db),
      sqlite,
      close: async () => sqlite.close(),
    };
  }
  let pg;
  try {
    pg = await openPgStore(url);
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const pool = pg.pool;
  return {
    kind: 'postgres',
    where: redactUrl(url),
    audit: new PgAuditLog(pool),
    tokens: new PgTokenRecords(pool),
    ingest: new PgIngestLedger(pool),
    plans: new PgPlanRecords(pool),
    events: new PgEventStore(pool),
    simulations: new PgSimulationRecords(pool),
    sqlite,
    close: async () => {
      try {
        await pg.close();
      } finally {
        sqlite.close();
      }
    },
  };
}
