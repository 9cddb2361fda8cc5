import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkOpenAdrVenConfig } from '../../services/curtailment/sources/openadr/config.ts';

const sample: unknown = JSON.parse(readFileSync(new URL('../../services/curtailment/sources/openadr/sample-config.json', import.meta.url), 'utf8'));

test('the sample configuration is valid', () => {
  const config = checkOpenAdrVenConfig(sample);
  assert.equal(config.venName, 'switchyard-site-a');
  assert.deepEqual(config.programNames, ['ERCOT-ERS-10', 'DOE-import-limit']);
});

test('defaults fill a minimal configuration, in a copy', () => {
  const minimal = { vtnUrl: 'http://127.0.0.1:8080', clientId: 'a', clientSecret: 'b', venName: 'v', siteId: 's' };
  const config = checkOpenAdrVenConfig(minimal);
  assert.deepEqual(
    { pollIntervalMs: config.pollIntervalMs, requestTimeoutMs: config.requestTimeoutMs, allowAi: config.allowAi, openEndedMaxMs: config.openEndedMaxMs },
    { pollIntervalMs: 10_000, requestTimeoutMs: 10_000, allowAi: false, openEndedMaxMs: 86_400_000 },
  );
  assert.equal('pollIntervalMs' in minimal, false, 'the caller\'s object is not changed');
});

test('bad configurations are refused naming every bad key, without opening a connection', () => {
  const base = { vtnUrl: 'https://vtn.example', clientId: 'a', clientSecret: 'b', venName: 'v', siteId: 's' };
  assert.throws(() => checkOpenAdrVenConfig({ ...base, vtnURL: 'x' }), /\/vtnURL unknown key "vtnURL"/);
  assert.throws(() => checkOpenAdrVenConfig({ ...base, vtnUrl: 'ftp://vtn.example' }), /\/vtnUrl must match pattern/);
  assert.throws(() => checkOpenAdrVenConfig({ ...base, clientSecret: '' }), /\/clientSecret/);
  assert.throws(() => checkOpenAdrVenConfig({ ...base, requestTimeoutMs: 0, programNames: [] }), (err: Error) => /\/requestTimeoutMs/.test(err.message) && /\/programNames/.test(err.message));
  const { siteId: _, ...noSite } = base;
  assert.throws(() => checkOpenAdrVenConfig(noSite), /missing required key "siteId"/);
});
