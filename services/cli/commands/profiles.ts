import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

/** agents/profiles, found from this file so the command works from any working directory. */
const PROFILES_DIR = resolve(fileURLToPath(new URL('../../../agents/profiles', import.meta.url)));

export interface ProfileEntry {
  name: string;
  protocol: string;
  make: string | undefined;
  model: string | undefined;
  file: string;
}

/** Every agents/profiles/<protocol>/*.yaml, by protocol then name; make/model read from the file. */
export async function listProfiles(dir = PROFILES_DIR): Promise<ProfileEntry[]> {
  const { parse } = await import('yaml');
  const out: ProfileEntry[] = [];
  for (const protocol of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const file of readdirSync(join(dir, protocol)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      const path = join(dir, protocol, file);
      let doc: unknown;
      try {
        doc = parse(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new Error(`reading profile ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      const o = (doc ?? {}) as Record<string, unknown>;
      out.push({
        name: file.replace(/\.ya?ml$/, ''),
        protocol,
        make: typeof o.make === 'string' ? o.make : undefined,
        model: typeof o.model === 'string' ? o.model : undefined,
        file: relative(process.cwd(), path),
      });
    }
  }
  return out;
}

export function registerProfiles(program: Command): void {
  program
    .command('profiles')
    .description('list the device profiles under agents/profiles/<protocol>/')
    .option('--json', 'print a JSON array')
    .option('--dir <path>', 'profiles folder', PROFILES_DIR)
    .action(async (opts: { json?: boolean; dir: string }) => {
      const profiles = await listProfiles(opts.dir);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(profiles)}\n`);
        return;
      }
      const rows = [['NAME', 'PROTOCOL', 'MAKE', 'MODEL'], ...profiles.map((p) => [p.name, p.protocol, p.make ?? '-', p.model ?? '-'])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
      process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n') + '\n');
    });
}
