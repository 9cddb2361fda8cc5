import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Interned } from '../../agents/interned.ts';

test('interned texts and label sets: equal inputs give the one kept copy, the bound starts over', () => {
  const t = new Interned(2);
  const a = t.of(JSON.parse('"cgminer 4.11.1"') as string);
  assert.equal(t.of(JSON.parse('"cgminer 4.11.1"') as string), a);
  const labels = t.labels({ detected_make: 'antminer', hardware: 'Antminer S21' });
  const again = t.labels({ detected_make: 'antminer', hardware: 'Antminer S21' });
  assert.equal(again, labels);
  assert.ok(Object.isFrozen(labels));
  assert.deepEqual(t.labels({ detected_make: 'luxos' }), { detected_make: 'luxos' });
  // Past the bound (2 sets) it starts over rather than growing: a third set clears the first.
  t.labels({ detected_make: 'avalon' });
  assert.notEqual(t.labels({ detected_make: 'antminer', hardware: 'Antminer S21' }), labels);
});
