import { hostname, userInfo } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ROLES, type Role, type TokenInfo } from '../../api/auth/tokens.ts';

/**
 * `switchyard tokens create|list|revoke`: API tokens, managed on the control plane's machine
 * straight in its records store (the data dir), so it works before any token exists and while
 * the API is down. Each change is written to the audit log with the actor cli:<user>@<host>.
 * Over the network, the same is POST/GET/DELETE /api/tokens with an admin token.
 * With DATABASE_URL the audit log is in PostgreSQL (see infra/ENVIRONMENT.md): the change is
 * written there too, so the trail GET /api/audit serves has the CLI's actions.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.:@-]*$/;

function dataDirOption(): Option {
  return new Option('--data-dir <dir>', 'the control plane data dir (env SWITCHYARD_DATA_DIR)').default(process.env.SWITCHYARD_DATA_DIR ?? 'data');
}

function roleOption(required: boolean): Option {
  const o = new Option('--role <role>', required ? 'the token role' : 'only tokens of this role').choices(ROLES);
  return required ? o.makeOptionMandatory() : o;
}

function actor(): string {
  return `cli:${userInfo().username}@${hostname()}`;
}

/** The tokens of the records the control plane uses (services/platform/records.ts: DATABASE_URL, else the data dir's SQLite). */
async function withTokens<T>(dataDir: string, run: (tokens: import('../../api/auth/tokens.ts').TokenStore) => Promise<T>): Promise<T> {
  const dir = resolve(dataDir);
  if (!existsSync(join(dir, 'records.db'))) throw new Error(`no records store in ${dir} (start the control plane once, or give --data-dir)`);
  const { openRecords } = await import('../../platform/records.ts');
  const { TokenStore } = await import('../../api/auth/tokens.ts');
  const records = await openRecords({ dataDir: dir, env: process.env });
  try {
    return await run(new TokenStore(records.tokens));
  } finally {
    await records.close();
  }
}

function line(t: TokenInfo): string {
  const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 19) + 'Z');
  return [t.id, t.role.padEnd(8), t.revokedAtMs === null ? 'active ' : 'revoked', iso(t.createdAtMs), iso(t.lastUsedAtMs), t.name].join('  ');
}

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('create, list and revoke API tokens (in the records store of --data-dir)');

  tokens
    .command('create')
    .description('mint a token; its secret is printed once and only its SHA-256 is kept')
    .addOption(roleOption(true))
    .requiredOption('--name <name>', 'a label; for an agent token, the agent id it ships batches for')
    .addOption(dataDirOption())
    .option('--json', 'print {token, secret} as JSON')
    .action(async (opts: { role: Role; name: string; dataDir: string; json?: boolean }) => {
      if (!NAME.test(opts.name) || opts.name.length > 128) throw new Error(`--name "${opts.name}": letters, digits, space and _ . : @ - only, starting with a letter or digit, at most 128`);
      const created = await withTokens(opts.dataDir, (t) => t.create({ name: opts.name, role: opts.role }, actor()));
      if (opts.json) process.stdout.write(JSON.stringify(created) + '\n');
      else process.stdout.write(`created ${created.token.id} (role ${created.token.role}, name "${created.token.name}"); the secret, shown once:\n${created.secret}\n`);
    });

  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .addOption(roleOption(false))
    .addOption(dataDirOption())
    .option('--json', 'print a JSON array')
    .action(async (opts: { role?: Role; dataDir: string; json?: boolean }) => {
      const all = await withTokens(opts.dataDir, (t) => t.list());
      const shown = opts.role ? all.filter((t) => t.role === opts.role) : all;
      if (opts.json) process.stdout.write(JSON.stringify(shown) + '\n');
      else process.stdout.write(['id                role      state    created               last used             name', ...shown.map(line)].join('\n') + '\n');
    });

  tokens
    .command('revoke <id>')
    .description('revoke a token at once (it stays listed, marked revoked)')
    .addOption(dataDirOption())
    .action(async (id: string, opts: { dataDir: string }) => {
      if (!/^tok_[0-9a-f]{12}$/.test(id)) throw new Error(`"${id}" is not a token id (tok_ and 12 hex digits; see switchyard tokens list)`);
      const t = await withTokens(opts.dataDir, (s) => s.revoke(id, actor()));
      if (!t) throw new Error(`no token ${id}`);
      process.stdout.write(`revoked ${t.id} (role ${t.role}, name "${t.name}") at ${new Date(t.revokedAtMs!).toISOString()}\n`);
    });
}
