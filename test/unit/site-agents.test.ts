import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatProblem, parseSiteWithWarnings } from '../../services/domain/load-site.ts';
import { DeviceOwners } from '../../services/domain/device-owners.ts';
import { SMALL_SITE } from '../support/api-harness.ts';

/** The site file's `agents` list: which agent owns which devices (issue 10 finding 4). */

const small = readFileSync(SMALL_SITE, 'utf8');
const withAgents = (yaml: string) => `${small}\nagents:\n${yaml}`;

test('an assignment naming unknown or twice-assigned devices is refused, with file and line', () => {
  const yaml = withAgents(['  - { id: agent-a, blocks: [B1, B9], meters: [M-REV] }', '  - { id: agent-b, blocks: [B1, B2, B3], meters: [M-REV] }'].join('\n'));
  assert.throws(
    () => parseSiteWithWarnings(yaml, 'site.yaml'),
    (err: Error) => /no block with id "B9"/.test(err.message) && /block "B1" is already assigned to agent "agent-a"/.test(err.message) && /meter "M-REV" is already assigned/.test(err.message) && /site\.yaml:\d+/.test(err.message),
  );
});

test('a block no agent holds is a warning (its readings will be refused)', () => {
  const { warnings } = parseSiteWithWarnings(withAgents('  - { id: agent-a, blocks: [B1, B2], meters: [M-REV] }'), 'site.yaml');
  const text = warnings.map(formatProblem).join('\n');
  assert.match(text, /no agent in "agents" holds block "B3"/);
  assert.match(text, /no agent in "agents" holds meter "M-B3"/);
  assert.doesNotMatch(text, /holds meter "M-REV"/);
});

test('owners: by block for miners, GPUs and block meters; by name for a device outside a block', () => {
  const { site } = parseSiteWithWarnings(withAgents(['  - { id: agent-a, blocks: [B1], meters: [M-REV] }', '  - { id: agent-b, blocks: [B2, B3] }'].join('\n')), 'site.yaml');
  const owners = new DeviceOwners(site);
  assert.equal(owners.ownerOf('B1-m00003'), 'agent-a');
  assert.equal(owners.ownerOf('B2-m00001'), 'agent-b');
  assert.equal(owners.ownerOf('M-REV'), 'agent-a');
  assert.equal(owners.ownerOf('M-B3'), 'agent-b');
  assert.equal(owners.ownerOf('GPU-uuid-1', 'B3'), 'agent-b');
  assert.equal(owners.ownerOf('B1-m00003', 'B2'), null, 'a reading that moves a device into another agent\'s block is nobody\'s');
  assert.equal(owners.ownerOf('B1-m00003', 'B1'), 'agent-a');
  assert.equal(owners.ownerOf('GPU-uuid-2', 'B9'), null, 'no such block');
  assert.equal(owners.ownerOf('whatever'), null);
});
