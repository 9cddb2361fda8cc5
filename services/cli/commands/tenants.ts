import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadSiteFile } from '../../domain/load-site.ts';
import { openStore } from '../../store/sqlite.ts';
import { createHistory } from '../../telemetry/index.ts';
import { loadTenantFile, TenantLedger } from '../../tenants/ledger.ts';
import { statementCsv } from '../../tenants/statement.ts';

/**
 * `switchyard tenants statement ID --month YYYY-MM [--format csv]`: a tenant's monthly
 * statement from the contract ledger and the site's telemetry history (the data directory
 * the platform writes: SWITCHYARD_DATA_DIR or ./data; INFLUX_URL selects InfluxDB).
 * `--tenants FILE` loads (adds or replaces) contracts into the ledger first.
 */
interface StatementOptions {
  month: string;
  site: string;
  tenants?: string;
  dataDir: string;
  format: 'json' | 'csv';
  issue?: boolean;
}

export function registerTenants(program: Command): void {
  const tenants = program.command('tenants').description('tenant contracts, SLA availability and monthly statements');
  tenants
    .command('statement <ID>')
    .description("a tenant's monthly statement (rent, power pass-through at metered kWh, SLA credits)")
    .requiredOption('--month <YYYY-MM>', 'statement month', (v: string) => {
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(v)) throw new InvalidArgumentError('--month must be YYYY-MM');
      return v;
    })
    .requiredOption('--site <FILE>', 'site file (YAML): which GPU hosts serve which block')
    .option('--tenants <FILE>', 'tenant contracts (YAML) to load into the ledger first')
    .option('--data-dir <DIR>', 'data directory (records store and history)', process.env.SWITCHYARD_DATA_DIR ?? 'data')
    .option('--format <FORMAT>', 'json or csv', (v: string) => {
      if (v !== 'json' && v !== 'csv') throw new InvalidArgumentError('--format must be json or csv');
      return v;
    }, 'json')
    .option('--issue', 'freeze the statement in the ledger as sent (tenant_statements)')
    .action(async (id: string, o: StatementOptions) => {
      const site = loadSiteFile(o.site);
      const dataDir = resolve(o.dataDir);
      const store = openStore({ dataDir });
      const history = createHistory({ dataDir });
      try {
        const ledger = new TenantLedger(store.db, history, site);
        if (o.tenants !== undefined) ledger.upsert(loadTenantFile(o.tenants).contracts);
        const st = await ledger.statement(id, o.month);
        if (o.issue) ledger.issue(st);
        if (o.format === 'csv') process.stdout.write(st.statements.map((s, i) => (i === 0 ? statementCsv(s) : statementCsv(s).split('\n').slice(1).join('\n'))).join(''));
        else process.stdout.write(`${JSON.stringify(st, null, 2)}\n`);
      } finally {
        await history.close();
        store.close();
      }
    });
}
