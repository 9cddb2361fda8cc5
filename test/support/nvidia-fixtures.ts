import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireFixtures } from './fixtures.ts';

/** The nvidia-smi recordings in ../shared/fixtures/nvidia, shared by the GPU parser tests. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = resolve(repoRoot, '../shared/fixtures/nvidia');
export const skip = requireFixtures(FIXTURES);
export const present = skip === false;
/** The files in one fixture folder ending in `ext`, sorted; none when the fixtures are absent. */
export const list = (dir: string, ext: string) => (present ? readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith(ext)).sort() : []);
export const read = (dir: string, f: string) => readFileSync(join(FIXTURES, dir, f), 'utf8');
