import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { AgentFile } from '../../agents/config-file.ts';
import { check } from '../../services/domain/schema.ts';

/**
 * The systemd units: hardened (own user, no new privileges, the file system read-only except
 * the data dir), running `switchyard serve` and `switchyard agent --config`, and accepted by
 * `systemd-analyze verify` where it is installed (it is on Debian 12 here). verify reports
 * unknown keys and bad values as warnings with exit status 0, so any output fails the test.
 */
const UNITS = { 'infra/systemd/switchyard.service': /bin\.js serve\b/, 'infra/systemd/switchyard-agent.service': /bin\.js agent --config \/etc\/switchyard\/\S+\.yaml\b/ };

function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      current = new Map();
      sections.set(s[1]!, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(kv && current, `not a unit file line: ${line}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

describe('systemd units', () => {
  for (const [file, exec] of Object.entries(UNITS)) {
    it(`${file}: own user, hardened, writes only its data dir`, () => {
      const service = parseUnit(readFileSync(file, 'utf8')).get('Service')!;
      const one = (k: string) => {
        const v = service.get(k);
        assert.ok(v && v.length === 1, `${file}: one ${k}=`);
        return v[0]!;
      };
      assert.match(one('ExecStart'), exec);
      assert.match(one('User'), /^switchyard(-agent)?$/);
      assert.equal(one('NoNewPrivileges'), 'yes');
      assert.equal(one('ProtectSystem'), 'strict');
      assert.equal(one('ProtectHome'), 'yes');
      assert.equal(one('PrivateTmp'), 'yes');
      assert.equal(one('CapabilityBoundingSet'), '');
      const state = one('StateDirectory');
      assert.equal(one('ReadWritePaths'), `/var/lib/${state}`, 'the data dir is the only writable path');
      assert.match(one('Environment') + ' ' + one('ExecStart'), /SWITCHYARD_DATA_DIR=\/var\/lib\/switchyard\b|agent --config/);
    });
  }

  it('the example agent config is valid and spools inside the agent unit\'s only writable path', () => {
    const file = check(AgentFile, parse(readFileSync('infra/systemd/agent.example.yaml', 'utf8')), 'infra/systemd/agent.example.yaml');
    const unit = parseUnit(readFileSync('infra/systemd/switchyard-agent.service', 'utf8')).get('Service')!;
    assert.ok(file.spoolDir?.startsWith(`${unit.get('ReadWritePaths')![0]}/`), `spoolDir ${file.spoolDir} under ${unit.get('ReadWritePaths')}`);
    assert.match(unit.get('ExecStart')![0]!, /--config \/etc\/switchyard\/agent\.yaml$/);
    assert.equal(typeof file.metricsPort, 'number');
  });

  it('systemd-analyze verify accepts both units, where it is installed', (t) => {
    const has = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (has.error || has.status !== 0) {
      t.diagnostic('systemd-analyze is not installed here: checked by the parser above only');
      return;
    }
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...Object.keys(UNITS)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    // Units are read from this repository; lines about other, system units are not ours.
    const ours = (r.stdout + r.stderr).split('\n').filter((l) => /switchyard/.test(l));
    assert.deepEqual(ours, []);
  });

  it('systemd-analyze security rates each unit\'s exposure 2.0 or lower (of 10), where it is installed', (t) => {
    const has = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (has.error || has.status !== 0) {
      t.diagnostic('systemd-analyze is not installed here');
      return;
    }
    for (const file of Object.keys(UNITS)) {
      const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', file], { encoding: 'utf8', timeout: 60_000 });
      const level = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout + r.stderr)?.[1];
      assert.ok(level !== undefined, `no exposure level for ${file}: ${r.stderr}`);
      // Left open on purpose: the network (it is a network service) and writable-executable
      // memory (V8 compiles JavaScript at run time, so MemoryDenyWriteExecute would kill it).
      assert.ok(Number(level) <= 2.0, `${file}: exposure ${level}`);
    }
  });
});
