import '../support/quiet-logs.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRecords } from '../../services/platform/records.ts';
import { recordsContract } from '../support/records-contract.ts';

/** The record families' contract on SQLite (the embedded default; PostgreSQL: test/integration/records-pg.test.ts). */
recordsContract('SQLite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-records-'));
  const records = await openRecords({ dataDir, env: {} });
  // A second opening of the same file: what a second process would see.
  const other = await openRecords({ dataDir, env: {} });
  return {
    records,
    other,
    close: async () => {
      await other.close();
      await records.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
