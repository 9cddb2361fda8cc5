import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { parse } from 'yaml';
import { check } from '../../services/domain/schema.ts';
import { Firmware } from '../../services/domain/site-schema.ts';
import { DEVICE_KINDS, DRIVERS, MINER_MAKES, driverFor, siteDevices } from '../../agents/drivers/registry.ts';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { snmpDriver } from '../../agents/drivers/snmp/driver.ts';

const DRIVERS_DIR = fileURLToPath(new URL('../../agents/drivers/', import.meta.url));
const folders = readdirSync(DRIVERS_DIR).filter((f) => statSync(join(DRIVERS_DIR, f)).isDirectory()).sort();

test('every folder in agents/drivers/ is one registered protocol with an entry.ts, a README and a sample', () => {
  assert.deepEqual(DRIVERS.map((d) => d.protocol).sort(), folders);
  for (const d of DRIVERS) {
    assert.ok(existsSync(join(DRIVERS_DIR, d.protocol, 'entry.ts')), `${d.protocol}/entry.ts`);
    assert.equal(d.readme, join(DRIVERS_DIR, d.protocol, 'README.md'));
    assert.equal(d.sampleConfig, join(DRIVERS_DIR, d.protocol, 'sample.yaml'));
    assert.ok(existsSync(d.readme) && existsSync(d.sampleConfig), d.protocol);
    assert.equal(driverFor(d.protocol), d);
  }
});

test("each driver's README names every file of its folder and every profile, and nothing that is gone", () => {
  for (const d of DRIVERS) {
    const readme = readFileSync(d.readme, 'utf8');
    const dir = join(DRIVERS_DIR, d.protocol);
    const files = readdirSync(dir).map((f) => (statSync(join(dir, f)).isDirectory() ? `${f}/` : f)).filter((f) => f !== 'README.md');
    for (const f of files) assert.ok(readme.includes(`\`${f}`) || readme.includes(`\`${f.replace(/\/$/, '')}`) || (f === 'makes/' && readme.includes('makes/')), `${d.protocol}/README.md does not name ${f}`);
    // Every file name in the README's tables exists.
    for (const m of readme.matchAll(/^\| `([^`|]+\.(?:ts|yaml))`(?:, `([^`|]+\.ts)`)*/gm)) {
      for (const name of m[0].matchAll(/`([^`]+)`/g)) {
        const n = name[1] as string;
        if (n.endsWith('*.ts')) continue;
        assert.ok(existsSync(join(dir, n)), `${d.protocol}/README.md names ${n}, which is not in the folder`);
      }
    }
    if (d.profileNames) {
      const names = d.profileNames();
      assert.ok(names.length > 0);
      for (const n of names) {
        assert.ok(readme.includes(`\`${n}\``), `${d.protocol}/README.md does not list profile ${n}`);
        assert.doesNotThrow(() => d.loadProfile?.(n), `${d.protocol} profile ${n} loads`);
      }
      const section = readme.slice(readme.indexOf('## Profiles'), readme.indexOf('\n## ', readme.indexOf('## Profiles') + 1));
      for (const m of section.matchAll(/^\| `[^|]+\|/gm)) {
        for (const name of m[0].matchAll(/`([^`]+)`/g)) assert.ok(names.includes(name[1] as string), `${d.protocol}/README.md lists profile ${name[1]}, which does not exist`);
      }
    }
  }
});

test("each sample config is valid: its site devices against the site schema, its agent keys against the driver's", () => {
  for (const d of DRIVERS) {
    const sample = parse(readFileSync(d.sampleConfig, 'utf8')) as { site: Record<string, unknown[]>; agent: Record<string, unknown> };
    assert.deepEqual(Object.keys(sample).sort(), ['agent', 'site'], d.protocol);
    assert.deepEqual(Object.keys(sample.site), [d.site.key], `${d.protocol}: sample site key`);
    const devices = sample.site[d.site.key] ?? [];
    assert.ok(devices.length > 0);
    devices.forEach((device, i) => check(d.site.device, device, `${d.protocol} sample ${d.site.key}[${i}]`));
    check(Type.Partial(d.config), sample.agent, `${d.protocol} sample agent keys`);
    assert.throws(() => check(Type.Partial(d.config), { ...sample.agent, colour: 'red' }, 'x'), /colour/, 'unknown keys are rejected');
  }
});

test('the list of miner makes is one: the site schema takes exactly the cgminer driver makes', () => {
  // services/domain may not import agents/ (test/lint-imports.ts), so the two are held equal here.
  const domain = Firmware.anyOf.map((l) => l.const as string).sort();
  assert.deepEqual(domain, [...MINER_MAKES].sort());
});

test('device kinds come from the drivers; an SNMP device of a kind the driver does not read stops the agent at start', () => {
  assert.deepEqual([...DEVICE_KINDS].sort(), ['cooling', 'gpu', 'meter', 'miner', 'pdu', 'ups']);
  const device = { id: 'ATS-1', kind: 'ats', host: '127.0.0.1', port: 161, profile: 'apc-rpdu2', version: '2c' as const };
  assert.throws(() => snmpDriver([device]), /SNMP device ATS-1: kind "ats" is not one the SNMP driver reads \(pdu, cooling, ups\)/);
  assert.doesNotThrow(() => snmpDriver([{ ...device, kind: 'pdu' }]));
});

test("the agent's device lists come from every driver's fromSite", () => {
  const site = loadSiteFile('test/support/sites/small.yaml');
  const all = siteDevices(site, { cgminer: 14028 });
  for (const d of DRIVERS) for (const key of Object.keys(d.fromSite(site))) assert.ok(key in all, `${d.protocol}: ${key}`);
  assert.equal(all.miners.length, 20);
  assert.ok(all.miners.every((m) => m.port === 14028), 'the cgminer port override reaches the miners only');
  assert.ok(all.meters.every((m) => m.port === 5020));
});
