import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { SqliteSimulationRecords, type SimulationRecords } from './simulation-records.ts';
import { ScenarioInvalidError, TooManyPathsError, type SimulationIssue, type SimulationPort, type SimulationRecord } from '../../services/api/routes/simulations.ts';
import { keyPath, schemaIssues } from '../../services/domain/load-site.ts';
import { validator } from '../../services/domain/schema.ts';
import type { Company } from '../../services/finance/load-company.ts';
import { logger, type Logger } from '../../services/lib/log.ts';
import type { JobQueue } from '../../services/queue/index.ts';
import { compileRun, ScenarioMismatchError } from './compile.ts';
import { resultCsv } from './export-csv.ts';
import { crossCheckScenario } from './scenario-file.ts';
import { Scenario } from './scenario-schema.ts';
import { MAX_PATHS, maxPathsFor, simulate } from './simulate.ts';
import type { SimulationResult } from './summarise.ts';

/**
 * Runs on the job queue (in-process by default, BullMQ on Redis in production) and saved in
 * the records (simulation-records.ts: SQLite, or PostgreSQL shared by instances): submit validates the scenario against the schema and the
 * company (nothing is saved when it fails), saves the run as queued and adds a job with its
 * id. The job marks progress in the row after each block of paths and stops when the row asks
 * it to (cancelRequested), so a DELETE reaches a run whichever process holds it.
 */

export interface SimulationJob {
  id: string;
}

export interface SimulationServiceOptions {
  /** Where runs are kept (services/platform/records.ts); a SQLite database is wrapped as its records. */
  db: Database | SimulationRecords;
  company: Company;
  queue: JobQueue<SimulationJob>;
  /** Worker threads per run (default: one per core). */
  workers?: number;
  maxPaths?: number;
  now?: () => number;
  log?: Logger;
}

export class SimulationService implements SimulationPort {
  readonly maxPaths: number;
  private readonly records: SimulationRecords;
  private readonly company: Company;
  private readonly queue: JobQueue<SimulationJob>;
  private readonly workers: number | undefined;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly running = new Map<string, AbortController>();

  constructor(o: SimulationServiceOptions) {
    this.records = 'markRunning' in o.db ? o.db : new SqliteSimulationRecords(o.db);
    this.company = o.company;
    this.queue = o.queue;
    this.workers = o.workers;
    this.maxPaths = o.maxPaths ?? MAX_PATHS;
    this.now = o.now ?? Date.now;
    this.log = o.log ?? logger('simulations');
  }

  /** Starts this process's worker. With the in-process queue, runs left by a previous process cannot resume: they are marked failed. */
  async start(): Promise<void> {
    if (this.queue.kind === 'memory') {
      const n = await this.records.failUnfinished('the process ended before the run finished', this.now());
      if (n > 0) this.log.warn({ runs: n }, 'simulations left unfinished by a previous process marked failed');
    }
    this.queue.process((job) => this.run(job.data.id), { concurrency: 1 });
  }

  async stop(): Promise<void> {
    for (const c of this.running.values()) c.abort();
    await this.queue.close();
  }

  async submit(req: { name?: string; scenario: unknown; paths: number; seed?: number }): Promise<string> {
    if (req.paths > this.maxPaths) throw new TooManyPathsError(req.paths, this.maxPaths);
    const scenario = this.validate(req.scenario);
    const limit = Math.min(this.maxPaths, maxPathsFor(scenario.horizonMonths ?? this.company.file.outlook.horizonMonths));
    if (req.paths > limit) throw new TooManyPathsError(req.paths, limit);
    const id = randomUUID();
    const seed = req.seed ?? Math.floor(Math.random() * 2 ** 31);
    await this.records.insert({ id, name: req.name ?? scenario.name, paths: req.paths, seed, scenario: JSON.stringify(scenario), createdAtMs: this.now() });
    try {
      await this.queue.add('simulate', { id }, { jobId: `sim-${id}` });
    } catch (err) {
      await this.records.delete(id);
      throw err;
    }
    this.log.info({ id, paths: req.paths, seed, scenario: scenario.name }, 'simulation queued');
    return id;
  }

  async get(id: string): Promise<(SimulationRecord & { scenario: unknown; result: unknown }) | null> {
    const row = await this.records.get(id);
    if (!row) return null;
    const { scenario, result, cancelRequested: _c, ...rec } = row;
    return { ...rec, scenario: JSON.parse(scenario) as unknown, result: result === null ? null : (JSON.parse(result) as unknown) };
  }

  list(): Promise<SimulationRecord[]> {
    return this.records.list();
  }

  async cancel(id: string): Promise<boolean> {
    if (!(await this.records.requestCancel(id))) return false;
    this.running.get(id)?.abort();
    return true;
  }

  async csv(id: string): Promise<string | null> {
    const row = await this.records.get(id);
    return row?.status === 'done' && row.result !== null ? resultCsv(JSON.parse(row.result) as SimulationResult) : null;
  }

  defaults(): unknown {
    const o = this.company.file.outlook;
    return {
      company: this.company.file.company,
      outlook: { startMonth: o.startMonth ?? null, horizonMonths: o.horizonMonths, btcPriceUsd: o.btcPriceUsd, powerPriceUsdPerMwh: o.powerPriceUsdPerMwh, hashprice: o.hashprice },
      contracts: this.company.sites.flatMap((s) => s.site.contracts.map((c) => ({ id: c.id, kind: c.kind, counterparty: c.counterparty }))),
      miningBlocks: this.company.sites.flatMap((s) => s.site.blocks.filter((b) => b.state === 'mining' && b.miners.length > 0).map((b) => ({ id: b.id, name: b.name, capacityMw: b.capacityMw }))),
      debt: this.company.debt.map((d) => ({ id: d.id, kind: d.kind, covenants: d.covenants })),
      maxPaths: this.maxPaths,
      scenario: this.validate({ name: 'base' }),
    };
  }

  /** Schema, cross-checks and the company (a contract or block the company lacks): every problem by key path. */
  private validate(input: unknown): Scenario {
    const value = structuredClone(input);
    const check = validator(Scenario);
    if (!check(value)) throw new ScenarioInvalidError(schemaIssues(check.errors ?? [], value).map(toIssue));
    const found = crossCheckScenario(value).filter((f) => f.severity === 'error');
    if (found.length > 0) throw new ScenarioInvalidError(found.map((f) => ({ path: keyPath(f.path), message: f.message })));
    if (value.btc.historyFiles) throw new ScenarioInvalidError([{ path: 'btc.historyFiles', message: 'files on the server are not read for API runs; run a bootstrap with switchyard simulate' }]);
    if (value.power.priceFile) throw new ScenarioInvalidError([{ path: 'power.priceFile', message: 'files on the server are not read for API runs; use switchyard simulate' }]);
    try {
      compileRun(this.company, value, { nowMs: this.now() });
    } catch (err) {
      if (err instanceof ScenarioMismatchError) throw new ScenarioInvalidError([{ path: err.keyPath, message: err.message.replace(`scenario ${err.keyPath}: `, '') }]);
      throw err;
    }
    return value;
  }

  private async run(id: string): Promise<void> {
    const row = await this.records.get(id);
    if (!row) {
      this.log.warn({ id }, 'simulation job for a run that is not saved; skipped');
      return;
    }
    // A finished run is not run again; a 'running' one is a job BullMQ handed out again after its
    // worker died (stalled): the seed makes the rerun give the same numbers.
    if (row.status !== 'queued' && row.status !== 'running') return;
    if (row.cancelRequested) {
      await this.finish(id, 'cancelled', null, null);
      return;
    }
    const controller = new AbortController();
    this.running.set(id, controller);
    await this.records.markRunning(id, this.now());
    this.log.info({ id }, 'simulation running');
    try {
      const scenario = JSON.parse(row.scenario) as Scenario;
      const result = await simulate(this.company, scenario, {
        paths: row.paths,
        seed: row.seed,
        workers: this.workers,
        nowMs: row.createdAtMs,
        signal: controller.signal,
        onProgress: (done) => {
          // The cancel may have been asked at another instance: it is in the records.
          this.records.progress(id, done).then(
            (cancel) => cancel && controller.abort(),
            (err: unknown) => this.log.error({ id, err: err instanceof Error ? err.message : String(err) }, 'recording simulation progress failed'),
          );
        },
      });
      await this.finish(id, 'done', JSON.stringify(result), null);
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') await this.finish(id, 'cancelled', null, null);
      else {
        await this.finish(id, 'failed', null, err instanceof Error ? err.message : String(err));
        throw err;
      }
    } finally {
      this.running.delete(id);
    }
  }

  private async finish(id: string, status: 'done' | 'failed' | 'cancelled', result: string | null, error: string | null): Promise<void> {
    await this.records.finish(id, status, result, error, this.now());
    this.log.info({ id, status, ...(error ? { error } : {}) }, `simulation ${status}`);
  }
}

function toIssue(i: { path: string; message: string }): SimulationIssue {
  const segs = i.path === '' ? [] : i.path.slice(1).split('/').map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  return { path: keyPath(segs), message: i.message };
}
