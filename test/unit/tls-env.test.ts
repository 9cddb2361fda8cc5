import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tlsFromEnv } from '../../services/platform/tls.ts';

test('TLS files: both or neither, read at start, with the file named on failure', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'c.pem'), 'CERT');
  writeFileSync(join(dir, 'k.pem'), 'KEY');
  assert.equal(tlsFromEnv({}), undefined);
  const got = tlsFromEnv({ SWITCHYARD_TLS_CERT_FILE: join(dir, 'c.pem'), SWITCHYARD_TLS_KEY_FILE: join(dir, 'k.pem') });
  assert.deepEqual([got?.cert.toString(), got?.key.toString()], ['CERT', 'KEY']);
  assert.throws(() => tlsFromEnv({ SWITCHYARD_TLS_CERT_FILE: join(dir, 'c.pem') }), /go together; only the certificate is set/);
  assert.throws(() => tlsFromEnv({ SWITCHYARD_TLS_CERT_FILE: join(dir, 'c.pem'), SWITCHYARD_TLS_KEY_FILE: join(dir, 'missing.pem') }), /reading the TLS key .*missing\.pem: ENOENT/);
});
