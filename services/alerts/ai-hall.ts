import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { SiteFile } from '../domain/site-schema.ts';
import type { Logger } from '../lib/log.ts';
import type { TelemetryHistory } from '../telemetry/history.ts';
import type { LiveState } from '../telemetry/live-state.ts';
import { loadTenantFile, TenantLedger } from '../tenants/ledger.ts';
import { AlertBook } from './alert-book.ts';
import { AlertWatch } from './watch.ts';

/**
 * The control plane's AI hall services: the tenant contract ledger (loaded from the tenants
 * file into the records store at start) and the alert book with its watch.
 * Tenants file: SWITCHYARD_TENANTS_FILE, else `<site file name>-tenants.yaml` beside the site
 * file when it exists; without one there is no ledger (the tenant routes answer 503).
 */
export interface AiHallServices {
  ledger: TenantLedger | null;
  tenantsPath: string | null;
  alerts: AlertBook;
  watch: AlertWatch;
  stop(): Promise<void>;
}

export function tenantsFileFor(sitePath: string, env: NodeJS.ProcessEnv): string | null {
  if (env.SWITCHYARD_TENANTS_FILE) return env.SWITCHYARD_TENANTS_FILE;
  const beside = join(dirname(sitePath), `${basename(sitePath, extname(sitePath))}-tenants.yaml`);
  return existsSync(beside) ? beside : null;
}

export function startAiHallServices(opts: { site: SiteFile; sitePath: string; db: Database; history: TelemetryHistory; live: LiveState; env: NodeJS.ProcessEnv; log: Logger; everyMs?: number }): AiHallServices {
  const tenantsPath = tenantsFileFor(opts.sitePath, opts.env);
  let ledger: TenantLedger | null = null;
  if (tenantsPath !== null) {
    ledger = new TenantLedger(opts.db, opts.history, opts.site);
    const file = loadTenantFile(tenantsPath);
    ledger.upsert(file.contracts);
    opts.log.info({ tenantsPath, contracts: file.contracts.length }, 'tenant contracts loaded');
  }
  // A host is down once it has not answered for 15 s; one slow poll is not an outage.
  const alerts = new AlertBook(opts.log.child({ part: 'alerts' }), { raiseAfterMs: { 'host-down': 15_000 } });
  const watch = new AlertWatch(alerts, opts.live, ledger, opts.log.child({ part: 'alerts' }), { everyMs: opts.everyMs ?? 5_000 });
  watch.start();
  return { ledger, tenantsPath, alerts, watch, stop: () => watch.stop() };
}
