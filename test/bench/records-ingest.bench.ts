// Ingest throughput with the records in PostgreSQL vs SQLite (issue 16): readings per second
// through the real ingest path — POST /api/ingest on a started control plane (token check,
// batch ledger claim, screen, live state, history) — one agent shipping batch after batch,
// with DATABASE_URL set (records in PostgreSQL: tokens and the ingest ledger are read and
// written there on every batch) and unset (the SQLite file), in the same run, alternating;
// ratio printed. Batch sizes: 21 readings (a small agent shipping often) and 2,001 (one
// agent's whole hall). Needs SWITCHYARD_TEST_DATABASE_URL (bash infra/dev/services.sh &&
// . ./.services.env); the history is SQLite in both.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';
import { minerDevices } from '../../services/domain/devices.ts';
import { startControlPlane, type ControlPlane } from '../../services/platform/control-plane.ts';
import { logger } from '../../services/lib/log.ts';

const SITE = 'test/support/sites/curtail.yaml';
const SIZES = [
  { readings: 21, batches: 600 },
  { readings: 2_001, batches: 40 },
];
const ROUNDS = 2;

async function measure(cp: ControlPlane, size: { readings: number; batches: number }, seq0: number): Promise<number> {
  const agent = cp.agents[0]!;
  const miners = minerDevices(cp.site);
  const headers = { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' };
  let next = 0;
  const body = (seq: number) => {
    const atMs = Date.now();
    const readings: Reading[] = [];
    for (let i = 0; i < size.readings; i++) {
      const d = miners[next++ % miners.length]!;
      readings.push({ deviceId: d.id, kind: 'miner', blockId: d.blockId, atMs, status: 'online', metrics: { power_w: 3000 + (next % 97), hashrate_hs: 1.1e14 }, labels: { model: d.model } });
    }
    return JSON.stringify({ agentId: agent.agentId, siteId: cp.site.site.id, seq, sentAtMs: atMs, readings });
  };
  // Bodies made before the clock starts: the client's JSON is not the server's cost.
  const bodies = Array.from({ length: size.batches }, (_, i) => body(seq0 + i));
  const t = performance.now();
  for (const payload of bodies) {
    const r = await cp.app.inject({ method: 'POST', url: '/api/ingest', headers, payload });
    if (r.statusCode !== 200) throw new Error(`ingest answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
    if ((r.json() as { duplicate: boolean }).duplicate) throw new Error('a fresh batch was taken for a duplicate');
  }
  return (size.readings * size.batches) / ((performance.now() - t) / 1000);
}

export async function run(): Promise<void> {
  const url = process.env.SWITCHYARD_TEST_DATABASE_URL;
  if (!url) {
    console.log('skipped: SWITCHYARD_TEST_DATABASE_URL is not set (bash infra/dev/services.sh && . ./.services.env)');
    return;
  }
  const schema = `bench_ingest_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const dirs: string[] = [];
  const log = logger('bench');
  log.level = 'warn';
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const scoped = new URL(url);
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    const start = async (env: NodeJS.ProcessEnv) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-records-'));
      dirs.push(dataDir);
      return startControlPlane({ sitePath: SITE, port: 0, host: '127.0.0.1', dataDir, env, print: () => undefined, log });
    };
    const onPg = await start({ DATABASE_URL: scoped.toString() });
    const onSqlite = await start({});
    try {
      const f = (n: number) => Math.round(n).toLocaleString('en-US');
      let seq = 1;
      for (const size of SIZES) {
        const pgRates: number[] = [];
        const sqliteRates: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          sqliteRates.push(await measure(onSqlite, size, seq));
          pgRates.push(await measure(onPg, size, seq));
          seq += size.batches;
        }
        const best = (xs: number[]) => Math.max(...xs);
        console.log(
          `${size.readings} readings/batch: PostgreSQL ${pgRates.map(f).join(', ')} readings/s; SQLite ${sqliteRates.map(f).join(', ')} readings/s; ` +
            `ratio PG/SQLite per round ${pgRates.map((p, i) => (p / sqliteRates[i]!).toFixed(2)).join(', ')} (best ${(best(pgRates) / best(sqliteRates)).toFixed(2)})`,
        );
      }
      const seen = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.agent_batches_seen`);
      console.log(`(PostgreSQL ingest ledger rows: ${seen.rows[0]!.n}; load average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ')})`);
    } finally {
      await onPg.stop();
      await onSqlite.stop();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
