// Audit log writes, the one record family that can live in PostgreSQL so far: control actions
// recorded one after another (each awaited, as the API hook does per request) and 50 at once,
// PgAuditLog against the peer, AuditLog on SQLite, in the same run; ratio printed. Needs
// SWITCHYARD_TEST_DATABASE_URL (bash infra/dev/services.sh && . ./.services.env). This is not
// the ingest-throughput benchmark of issue 16: ingest writes no record that has moved yet.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AuditLog, type AuditStore, type NewAuditEntry } from '../../services/api/audit/audit-log.ts';
import { PgAuditLog } from '../../services/api/audit/pg-audit-log.ts';
import { openStore } from '../../services/store/sqlite.ts';
import { openPgStore } from '../../services/store/pg.ts';

const SEQUENTIAL = 2_000;
const CONCURRENT = 50;
const ROUNDS = 40;

const entry = (i: number): NewAuditEntry => ({
  atMs: Date.now(),
  actor: 'tok_0123456789ab',
  actorName: 'bench',
  actorRole: 'operator',
  action: 'POST /api/curtailment/events',
  detail: { body: { shedMw: 2, durationMs: 600_000, reason: `bench ${i}` } },
  fromAddr: '10.0.0.1',
  userAgent: 'bench',
  outcome: '202',
  requestId: `req-${i}`,
});

async function measure(store: AuditStore): Promise<{ seqPerS: number; burstPerS: number }> {
  let t = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) await store.record(entry(i));
  const seqPerS = SEQUENTIAL / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let r = 0; r < ROUNDS; r++) await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => store.record(entry(r * CONCURRENT + i))));
  const burstPerS = (ROUNDS * CONCURRENT) / ((performance.now() - t) / 1000);
  return { seqPerS, burstPerS };
}

export async function run(): Promise<void> {
  const url = process.env.SWITCHYARD_TEST_DATABASE_URL;
  if (!url) {
    console.log('skipped: SWITCHYARD_TEST_DATABASE_URL is not set (bash infra/dev/services.sh && . ./.services.env)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-audit-'));
  const schema = `bench_audit_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const scoped = new URL(url);
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    const sqlite = openStore({ dataDir: dir });
    const pgStore = await openPgStore(scoped.toString());
    try {
      const peer = await measure(new AuditLog(sqlite.db));
      const ours = await measure(new PgAuditLog(pgStore.pool));
      const f = (n: number) => Math.round(n).toLocaleString('en-US');
      console.log(`one at a time: PostgreSQL ${f(ours.seqPerS)}/s, SQLite ${f(peer.seqPerS)}/s, ratio ${(ours.seqPerS / peer.seqPerS).toFixed(2)}`);
      console.log(`${CONCURRENT} at once:   PostgreSQL ${f(ours.burstPerS)}/s, SQLite ${f(peer.burstPerS)}/s, ratio ${(ours.burstPerS / peer.burstPerS).toFixed(2)}`);
    } finally {
      await pgStore.close();
      sqlite.close();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
