import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gpuHostDevices, snmpDevices } from '../../services/domain/devices.ts';
import { parseSite, SiteFileError } from '../../services/domain/load-site.ts';
import { MINIMAL_SITE_YAML } from '../support/sites/minimal-site.ts';

/** The site file's SNMP devices and GPU hosts: schema, cross-checks with file:line, and what the agent gets. */
const BASE = MINIMAL_SITE_YAML;
// BASE is 14 lines: what follows starts on line 15.

function problemsOf(text: string): string[] {
  try {
    parseSite(text, 'inline.yaml');
  } catch (err) {
    assert.ok(err instanceof SiteFileError, String(err));
    return err.message.split('\n').slice(1);
  }
  assert.fail('loaded without errors');
}

test('SNMP devices and GPU hosts default to none', () => {
  const site = parseSite(BASE, 'inline.yaml');
  assert.deepEqual(site.snmpDevices, []);
  assert.deepEqual(site.gpuHosts, []);
  assert.deepEqual(snmpDevices(site), []);
  assert.deepEqual(gpuHostDevices(site), []);
});

test('defaults applied and passed to the agent as devices', () => {
  const site = parseSite(
    `${BASE}snmpDevices:
  - { id: PDU-1, kind: pdu, blockId: B1, host: 10.0.0.5, profile: apc-rpdu2, version: 2c, community: private }
  - id: UPS-1
    kind: ups
    host: 10.0.0.6
    port: 1161
    profile: apc-smart-ups
    version: '3'
    v3: { user: ops, authProtocol: sha256, authKey: auth-key-1, privProtocol: aes, privKey: priv-key-1 }
gpuHosts:
  - { id: rig-1, blockId: B1, host: rig-1.local }
  - { id: rig-2, blockId: B1, host: rig-2.local, nvidiaSmiPath: /usr/bin/nvidia-smi, powerLimitW: 500 }
`,
    'inline.yaml',
  );
  assert.deepEqual(snmpDevices(site), [
    { id: 'PDU-1', kind: 'pdu', blockId: 'B1', host: '10.0.0.5', port: 161, profile: 'apc-rpdu2', version: '2c', community: 'private' },
    {
      id: 'UPS-1',
      kind: 'ups',
      host: '10.0.0.6',
      port: 1161,
      profile: 'apc-smart-ups',
      version: '3',
      v3: { user: 'ops', authProtocol: 'sha256', authKey: 'auth-key-1', privProtocol: 'aes', privKey: 'priv-key-1' },
    },
  ]);
  assert.deepEqual(gpuHostDevices(site), [
    { id: 'rig-1', blockId: 'B1', host: 'rig-1.local', nvidiaSmiPath: 'nvidia-smi' },
    { id: 'rig-2', blockId: 'B1', host: 'rig-2.local', nvidiaSmiPath: '/usr/bin/nvidia-smi', powerLimitW: 500 },
  ]);
});

test('unknown keys are rejected, pointing at the key', () => {
  assert.deepEqual(problemsOf(`${BASE}snmpDevices:\n  - { id: P1, kind: pdu, host: h, profile: apc-rpdu2, version: 2c, colour: red }\n`), [
    'inline.yaml:16:68: snmpDevices[0].colour: unknown key "colour"',
  ]);
  assert.deepEqual(problemsOf(`${BASE}gpuHosts:\n  - id: G1\n    blockId: B1\n    host: h\n    gpus: 8\n`), ['inline.yaml:19:5: gpuHosts[0].gpus: unknown key "gpus"']);
});

test('a bad blockId, duplicate ids and missing v3 settings are named with file:line', () => {
  const lines = problemsOf(`${BASE}meters:
  - { id: M1, role: revenue, unitId: 1, profile: twin-pm5340 }
snmpDevices:
  - { id: P1, kind: pdu, blockId: B9, host: h, profile: apc-rpdu2, version: 2c }
  - { id: P1, kind: cooling, host: h2, profile: stulz-crac, version: '3' }
gpuHosts:
  - { id: G1, blockId: B7, host: rig }
  - { id: M1, blockId: B1, host: rig }
`);
  assert.deepEqual(lines, [
    'inline.yaml:18:35: snmpDevices[0].blockId: no block with id "B9"',
    'inline.yaml:19:11: snmpDevices[1].id: duplicate SNMP device id "P1" (also snmpDevices[0])',
    'inline.yaml:19:70: snmpDevices[1].version: SNMP version 3 needs v3 settings (user, authProtocol, authKey, privProtocol, privKey)',
    'inline.yaml:21:24: gpuHosts[0].blockId: no block with id "B7"',
    'inline.yaml:22:11: gpuHosts[1].id: device id "M1" is also used by meters[0]',
    'inline.yaml:22:34: gpuHosts[1].host: gpuHosts[0] already names host "rig": its GPUs would be reported twice',
  ]);
});
