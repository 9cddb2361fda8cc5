// Runs every benchmark in test/bench/*.bench.ts in turn. Each one measures our code and a
// peer in the same run and prints the ratio; nothing here asserts on wall time.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
// Runs only when named (`npm run bench soak`): the soak takes 10 minutes by default.
const ON_REQUEST = new Set(['soak.bench.ts']);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => (only.length === 0 ? !ON_REQUEST.has(f) : only.some((o) => f.includes(o))))
  .sort();

for (const file of benches) {
  console.log(`\n== ${file}`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run: () => Promise<void> };
  await mod.run();
}
