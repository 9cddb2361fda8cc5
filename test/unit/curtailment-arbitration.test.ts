import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arbiter, ArbitrationError } from '../../services/curtailment/arbitration.ts';
import { DEFAULT_PRIORITY } from '../../services/curtailment/programs.ts';

const P = DEFAULT_PRIORITY;

test('a higher priority takes devices; the loser keeps its claim and gets them back on release', () => {
  const a = new Arbiter();
  assert.deepEqual(a.claim('strike-1', P['price-strike'], ['d1', 'd2', 'd3']), { acquired: ['d1', 'd2', 'd3'], taken: [], waiting: [], refused: [] });
  assert.deepEqual(a.claim('ercot-1', P['grid-dispatch'], ['d2', 'd3', 'd4']), {
    acquired: ['d2', 'd3', 'd4'],
    taken: [
      { deviceId: 'd2', fromEventId: 'strike-1' },
      { deviceId: 'd3', fromEventId: 'strike-1' },
    ],
    waiting: [],
    refused: [],
  });
  assert.deepEqual(a.owned('strike-1'), ['d1']);
  assert.deepEqual(a.owned('ercot-1'), ['d2', 'd3', 'd4']);
  assert.equal(a.ownerOf('d3'), 'ercot-1');
  a.checkInvariants();

  // The dispatch ends: d2, d3 go back to the strike, which still wants them shed; d4 is restored.
  assert.deepEqual(a.release('ercot-1'), {
    transferred: [
      { deviceId: 'd2', toEventId: 'strike-1' },
      { deviceId: 'd3', toEventId: 'strike-1' },
    ],
    restore: ['d4'],
  });
  assert.deepEqual(a.owned('strike-1'), ['d1', 'd2', 'd3']);
  assert.equal(a.ownerOf('d4'), undefined);
  a.checkInvariants();
  assert.deepEqual(a.release('strike-1'), { transferred: [], restore: ['d1', 'd2', 'd3'] });
  assert.deepEqual(a.release('strike-1'), { transferred: [], restore: [] }, 'releasing twice does nothing');
  assert.deepEqual(a.events(), []);
});

test('equal priority keeps the earlier owner, and the next in line is the earlier claimant', () => {
  const a = new Arbiter();
  a.claim('op-1', 70, ['d1']);
  assert.deepEqual(a.claim('op-2', 70, ['d1']), { acquired: [], taken: [], waiting: ['d1'], refused: [] });
  a.claim('op-3', 70, ['d1']);
  a.claim('low', 10, ['d1']);
  assert.equal(a.ownerOf('d1'), 'op-1');
  assert.deepEqual(a.release('op-1').transferred, [{ deviceId: 'd1', toEventId: 'op-2' }]);
  // A waiting claimant that ends first leaves the owner alone.
  assert.deepEqual(a.release('op-3'), { transferred: [], restore: [] });
  assert.deepEqual(a.release('op-2').transferred, [{ deviceId: 'd1', toEventId: 'low' }]);
  a.checkInvariants();
});

test('a lower priority waits; claiming again adds devices but cannot change the priority', () => {
  const a = new Arbiter();
  a.claim('uf', P['under-frequency'], ['d1']);
  assert.deepEqual(a.claim('strike', P['price-strike'], ['d1', 'd2']).waiting, ['d1']);
  assert.deepEqual(a.claim('strike', P['price-strike'], ['d2', 'd3']).acquired, ['d3'], 'd2 is already claimed');
  assert.throws(() => a.claim('strike', 99, ['d4']), ArbitrationError);
  assert.throws(() => a.claim('strike', P['price-strike'], ['d4'], { allowAi: true }), /cannot claim again/);
  assert.throws(() => a.claim('x', Number.NaN, ['d4']), /finite/);
});

test('AI-contract devices are claimable only by events that allow AI', () => {
  const a = new Arbiter((id) => id.startsWith('gpu-'));
  assert.deepEqual(a.claim('strike', 50, ['m1', 'gpu-1']), { acquired: ['m1'], taken: [], waiting: [], refused: ['gpu-1'] });
  assert.deepEqual(a.claim('ercot', 90, ['gpu-1', 'gpu-2'], { allowAi: true }).acquired, ['gpu-1', 'gpu-2']);
  // When the AI event ends, nobody else may hold the hosts: they are restored.
  assert.deepEqual(a.release('ercot'), { transferred: [], restore: ['gpu-1', 'gpu-2'] });
  a.checkInvariants();
});

test('random claims and releases match a reference model and keep every invariant', () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const isAi = (id: string) => id.endsWith('9');
  const a = new Arbiter(isAi);
  const programs = Object.keys(P) as Array<keyof typeof P>;
  // Reference: per device, the claims in the order they were made.
  const claims = new Map<string, Array<{ eventId: string; priority: number }>>();
  const active: string[] = [];
  for (let step = 0; step < 400; step++) {
    if (active.length > 0 && rand() < 0.35) {
      const id = active.splice(Math.floor(rand() * active.length), 1)[0] as string;
      a.release(id);
      for (const list of claims.values()) list.splice(0, list.length, ...list.filter((c) => c.eventId !== id));
    } else {
      const id = `ev${step}`;
      const priority = P[programs[Math.floor(rand() * programs.length)] as keyof typeof P];
      const allowAi = rand() < 0.3;
      const devices = [...Array(20)].map(() => `d${Math.floor(rand() * 100)}`);
      a.claim(id, priority, devices, { allowAi });
      active.push(id);
      for (const d of new Set(devices)) {
        if (isAi(d) && !allowAi) continue;
        const list = claims.get(d) ?? [];
        claims.set(d, list);
        list.push({ eventId: id, priority });
      }
    }
    a.checkInvariants();
    for (let i = 0; i < 100; i++) {
      const list = claims.get(`d${i}`) ?? [];
      // Highest priority; among equals the first claim (reduce keeps the earlier on ties).
      const best = list.reduce<(typeof list)[number] | undefined>((b, c) => (b === undefined || c.priority > b.priority ? c : b), undefined);
      assert.equal(a.ownerOf(`d${i}`), best?.eventId, `step ${step}: owner of d${i}`);
    }
  }
});

test('50,000 devices claimed, taken and released: every one accounted for', () => {
  const a = new Arbiter();
  const ids = Array.from({ length: 50_000 }, (_, i) => `m${i}`);
  a.claim('strike', 50, ids);
  const r = a.claim('ercot', 90, ids.slice(0, 25_000));
  assert.equal(r.taken.length, 25_000);
  const rel = a.release('ercot');
  assert.equal(rel.transferred.length, 25_000);
  assert.equal(a.owned('strike').length, 50_000);
  assert.equal(a.ownerOf('m0'), 'strike');
  assert.equal(a.ownerOf('m49999'), 'strike');
  a.checkInvariants();
});
