import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DIALECTS } from '../../agents/drivers/cgminer/makes/index.ts';
import { minerTelemetry } from '../../agents/drivers/cgminer/normalise.ts';
import { parseCgminerReply, type CgminerReply } from '../../agents/drivers/cgminer/parse.ts';
import { asicCatalog } from '../../services/domain/catalog.ts';
import type { Firmware } from '../../services/domain/site-schema.ts';
import { answer, parseRequest } from '../../simulations/site-twin/cgminer-commands.ts';
import { VirtualMiner } from '../../simulations/site-twin/miner.ts';
import { FITTING_MODELS } from '../support/dialect-site.ts';
import { requireFixtures } from '../support/fixtures.ts';
import { referenceMinerTelemetry } from '../support/normalise-reference.ts';

/**
 * The allocation-lean normaliser (agents/drivers/cgminer/normalise.ts) gives exactly what the
 * array version before it gave (test/support/normalise-reference.ts): the same metrics, the
 * same firmware, the same error, on every real recording and on the twin's telemetry replies
 * of every firmware over a day of its clock.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = resolve(repoRoot, '../shared/fixtures/miners');

function outcome(f: (r: CgminerReply) => unknown, reply: CgminerReply): unknown {
  try {
    return { ok: f(reply) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

describe('the lean normaliser equals the one before it', () => {
  test('on every recording in ../shared/fixtures/miners', { skip: requireFixtures(fixtures) }, () => {
    let compared = 0;
    for (const path of walk(fixtures).filter((p) => /\.(raw|json)$/.test(p))) {
      let reply: CgminerReply;
      try {
        reply = parseCgminerReply(readFileSync(path));
      } catch (err) {
        // Not a cgminer reply (the LuxOS tooling's API description): nothing to normalise.
        assert.match((err as Error).name, /CgminerParseError/, relative(fixtures, path));
        continue;
      }
      assert.deepEqual(outcome(minerTelemetry, reply), outcome(referenceMinerTelemetry, reply), relative(fixtures, path));
      compared++;
    }
    assert.ok(compared >= 15, `compared ${compared} recordings`);
  });

  const catalog = asicCatalog();
  for (const firmware of Object.keys(FITTING_MODELS) as Firmware[]) {
    test(`on the twin's ${firmware} telemetry replies (${DIALECTS[firmware].telemetryCommand}) over a day`, () => {
      const model = catalog.get(FITTING_MODELS[firmware]);
      assert.ok(model);
      const request = parseRequest(JSON.stringify({ command: DIALECTS[firmware].telemetryCommand }));
      assert.notEqual(request.kind, 'incomplete');
      for (let seed = 1; seed <= 20; seed++) {
        const miner = new VirtualMiner(model, { seed, nowMs: 0 });
        const device = { id: `B1-m${seed}`, blockId: 'B1', model: model.id, firmware, host: '127.21.0.1', port: 4028 };
        for (let nowMs = 0; nowMs < 86_400_000; nowMs += 3_600_000) {
          if (request.kind === 'incomplete') continue;
          const reply = parseCgminerReply(answer(request, { device, miner, nowMs }));
          const lean = outcome(minerTelemetry, reply);
          assert.deepEqual(lean, outcome(referenceMinerTelemetry, reply), `${firmware} seed ${seed} at ${nowMs} ms`);
          assert.ok('ok' in (lean as object), `${firmware} seed ${seed}: ${JSON.stringify(lean)}`);
        }
      }
    });
  }
});
