import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../services/api/audit/audit-log.ts';
import { openStore } from '../../services/store/sqlite.ts';
import { auditContract } from '../support/audit-contract.ts';

auditContract('SQLite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-audit-'));
  const store = openStore({ dataDir });
  return {
    store: new AuditLog(store.db),
    tamper: [async () => store.db.prepare("UPDATE audit_log SET actor = 'someone-else'").run(), async () => store.db.prepare('DELETE FROM audit_log').run()],
    close: async () => {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
