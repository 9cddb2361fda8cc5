// cgminer reply parsing: parseCgminerReply (NUL strip, malformed-JSON repair, validation) over
// every recorded reply in ../shared/fixtures/miners, against the peer JSON.parse on the same
// content as valid JSON — the floor for any JSON-based parser.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CgminerParseError, parseCgminerReply } from '../../agents/drivers/cgminer/parse.ts';

const fixtures = fileURLToPath(new URL('../../../shared/fixtures/miners', import.meta.url));
const ROUNDS = 2_000;

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

export async function run(): Promise<void> {
  if (!existsSync(fixtures)) {
    console.log(`skipped: ${fixtures} is absent`);
    return;
  }
  // Only the replies our parser accepts; the rest are covered by the tests as clear errors.
  const replies: Buffer[] = [];
  const cleaned: string[] = [];
  for (const path of files(fixtures)) {
    const bytes = readFileSync(path);
    let parsed: unknown;
    try {
      parsed = parseCgminerReply(bytes);
    } catch (err) {
      // Notes and command lists are not replies; the tests hold them to clear errors.
      if (err instanceof CgminerParseError) continue;
      throw err;
    }
    replies.push(bytes);
    // The peer gets the same content as valid JSON: what a parser without repair would need.
    cleaned.push(JSON.stringify(parsed));
  }
  const bytes = replies.reduce((n, b) => n + b.length, 0) * ROUNDS;

  const t1 = performance.now();
  for (let r = 0; r < ROUNDS; r++) for (const b of replies) parseCgminerReply(b);
  const oursMs = performance.now() - t1;

  const t2 = performance.now();
  for (let r = 0; r < ROUNDS; r++) for (const s of cleaned) JSON.parse(s);
  const peerMs = performance.now() - t2;

  const mb = (ms: number) => bytes / 1e6 / (ms / 1000);
  console.log(`replies: ${replies.length} fixtures × ${ROUNDS} rounds (${(bytes / 1e6).toFixed(1)} MB)`);
  console.log(`switchyard parseCgminerReply (repair + parse): ${mb(oursMs).toFixed(1)} MB/s`);
  console.log(`peer: JSON.parse of the same content as valid JSON:${mb(peerMs).toFixed(1)} MB/s`);
  console.log(`ratio (ours / peer): ${(peerMs / oursMs).toFixed(2)}`);
}
