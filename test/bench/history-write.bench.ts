// Telemetry history write rate: SqliteHistory.write (raw row + 1-minute rollup upsert per point,
// series lookup, validation) against the peer, a bare better-sqlite3 insert of the same
// (series, time, value) rows in one transaction — the floor any SQLite historian pays.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteHistory } from '../../services/telemetry/sqlite-history.ts';
import type { TelemetryPoint } from '../../services/telemetry/history.ts';

const BLOCKS = 40;
const STEPS = 2_500; // 40 blocks × 2 fields × 2,500 steps = 200,000 points
const BATCH = 4_000;

function makePoints(): TelemetryPoint[] {
  const points: TelemetryPoint[] = [];
  const t0 = Date.now() - STEPS * 1000;
  for (let s = 0; s < STEPS; s++) {
    for (let b = 0; b < BLOCKS; b++) {
      points.push({
        measurement: 'block',
        tags: { block: `B${b}`, site: 'bench' },
        fields: { power_w: 20e6 + Math.sin(s + b) * 1e5, hashrate_hs: 5e18 + b * 1e15 },
        atMs: t0 + s * 1000,
      });
    }
  }
  return points;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  try {
    const points = makePoints();
    const values = points.length * 2;

    const history = new SqliteHistory({ path: join(dir, 'history.db') });
    const t1 = performance.now();
    for (let i = 0; i < points.length; i += BATCH) await history.write(points.slice(i, i + BATCH));
    const oursMs = performance.now() - t1;
    await history.close();

    const db = new Database(join(dir, 'peer.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE raw (seriesId INTEGER NOT NULL, atMs INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (seriesId, atMs)) WITHOUT ROWID');
    const insert = db.prepare('INSERT INTO raw VALUES (?, ?, ?)');
    const writeBatch = db.transaction((batch: TelemetryPoint[]) => {
      for (const p of batch) {
        const b = Number(p.tags.block!.slice(1));
        insert.run(b * 2, p.atMs, p.fields.power_w!);
        insert.run(b * 2 + 1, p.atMs, p.fields.hashrate_hs!);
      }
    });
    const t2 = performance.now();
    for (let i = 0; i < points.length; i += BATCH) writeBatch(points.slice(i, i + BATCH));
    const peerMs = performance.now() - t2;
    db.close();

    const ours = values / (oursMs / 1000);
    const peer = values / (peerMs / 1000);
    console.log(`values written: ${values}`);
    console.log(`switchyard SqliteHistory.write (raw + 1-min rollups): ${Math.round(ours).toLocaleString('en-US')} values/s`);
    console.log(`peer: bare better-sqlite3 raw insert:               ${Math.round(peer).toLocaleString('en-US')} values/s`);
    console.log(`ratio (ours / peer): ${(ours / peer).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
