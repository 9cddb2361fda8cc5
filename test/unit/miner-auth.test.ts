import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { btminerDecrypt, btminerEncrypt, btminerPrivileged, btminerToken } from '../../agents/drivers/cgminer/auth/btminer-token.ts';
import { digestAuthorization, parseDigestChallenge, verifyDigest } from '../../agents/drivers/cgminer/auth/digest.ts';
import { md5Crypt } from '../../agents/drivers/cgminer/auth/md5-crypt.ts';
import { md5Into } from '../../agents/drivers/cgminer/auth/md5.ts';
import { createHash, randomBytes } from 'node:crypto';
import { detectMake } from '../../agents/drivers/cgminer/detect.ts';
import { profileFor } from '../../agents/drivers/cgminer/makes/luxos.ts';
import { btminerStatus } from '../../agents/drivers/cgminer/makes/whatsminer.ts';

describe('miner auth primitives', () => {
  test('md5-crypt matches `openssl passwd -1`', () => {
    assert.equal(md5Crypt('admin', 'BQ5hoXV9'), '$1$BQ5hoXV9$RxmaDUO33TS7O26yeMHZ81');
    assert.equal(md5Crypt('pass word 1234567890abcdef', '$1$abcdefgh$'), '$1$abcdefgh$xbTEOOIcBP09yZ6hm5j5r/');
  });

  test('the JavaScript MD5 agrees with node:crypto on every length from 0 to 300 bytes', () => {
    const out = new Uint8Array(16);
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      md5Into(data, n, out);
      assert.equal(Buffer.from(out).toString('hex'), createHash('md5').update(data).digest('hex'), `length ${n}`);
    }
  });

  test('btminer: a privileged command decrypts under the same password, not under another', () => {
    const msg = { time: '1234', salt: 'BQ5hoXV9', newsalt: 'aBcDeFgH' };
    const token = btminerToken('admin', msg);
    assert.equal(token.hostPasswdMd5, 'RxmaDUO33TS7O26yeMHZ81');
    const wire = JSON.parse(btminerPrivileged(token, { cmd: 'power_off', respbefore: 'true' })) as { enc: number; data: string };
    assert.equal(wire.enc, 1);
    assert.deepEqual(btminerDecrypt(token.hostPasswdMd5, wire.data), { cmd: 'power_off', respbefore: 'true', token: token.hostSign });
    assert.throws(() => btminerDecrypt(btminerToken('nope', msg).hostPasswdMd5, wire.data), /does not decrypt to JSON/);
    assert.deepEqual(btminerDecrypt('k', btminerEncrypt('k', '{"a":1}')), { a: 1 });
  });

  test('btminer STATUS: its own string form and cgminer\'s array form', () => {
    assert.deepEqual(btminerStatus({ STATUS: 'E', Code: 135, Msg: 'check token err' }), { ok: false, code: 135, msg: 'check token err' });
    assert.equal(btminerStatus({ STATUS: [{ STATUS: 'S', Code: 11, Msg: 'Summary' }] }).ok, true);
  });

  test('digest: the client answer verifies on the server; a wrong password does not', () => {
    const header = 'Digest realm="antMiner Configuration", nonce="abc123", qop="auth"';
    const challenge = parseDigestChallenge(header);
    assert.ok(challenge);
    const users = new Map([['root', 'root']]);
    const good = digestAuthorization({ username: 'root', password: 'root', method: 'POST', uri: '/cgi-bin/set_miner_conf.cgi', challenge });
    assert.equal(verifyDigest(good, { realm: challenge.realm, nonce: 'abc123', method: 'POST', users }), true);
    assert.equal(verifyDigest(good, { realm: challenge.realm, nonce: 'abc123', method: 'GET', users }), false);
    const bad = digestAuthorization({ username: 'root', password: 'admin', method: 'POST', uri: '/cgi-bin/set_miner_conf.cgi', challenge });
    assert.equal(verifyDigest(bad, { realm: challenge.realm, nonce: 'abc123', method: 'POST', users }), false);
    assert.equal(parseDigestChallenge('Basic realm="x"'), undefined);
  });

  test('make detection from version replies', () => {
    const v = (entry: Record<string, string>, description = 'cgminer 4.9.0') => ({ STATUS: [{ STATUS: 'S', Description: description }], VERSION: [entry], id: 1 });
    assert.equal(detectMake(v({ LUXminer: '2024.6.1', Type: 'Antminer S19' })), 'luxos');
    assert.equal(detectMake(v({ BMMiner: '4.9.0', Type: 'Antminer S19j Pro' })), 'antminer');
    assert.equal(detectMake(v({ CGMiner: '4.11.1', PROD: 'AvalonMiner 15-194' })), 'avalon');
    assert.equal(detectMake(v({ Miner: 'btminer 20240120.22.REL' })), 'whatsminer');
    assert.equal(detectMake(v({}, 'BOSminer bosminer-plus-am2-s17 0.8.0')), 'braiins');
    assert.equal(detectMake(v({ CGMiner: '4.10.0' })), undefined);
    // `devdetails` when `version` does not tell: the driver name.
    const devdetails = { STATUS: [{ STATUS: 'S', Description: 'cgminer 4.9.2' }], DEVDETAILS: [{ DEVDETAILS: 0, Driver: 'btminer', Model: 'Bitmain Antminer S21' }], id: 1 };
    assert.equal(detectMake(v({ CGMiner: '4.9.2' }), devdetails), 'whatsminer');
  });

  test('LuxOS: a power target picks the highest profile at or below it', () => {
    const profiles = [{ name: '-2', watts: 3150 }, { name: 'default', watts: 3500 }, { name: '+1', watts: 3675 }];
    assert.equal(profileFor(profiles, 3600)?.name, 'default');
    assert.equal(profileFor(profiles, 3150)?.name, '-2');
    assert.equal(profileFor(profiles, 3000), undefined);
  });
});

describe('antminer rate_unit', () => {
  test('"GHS 5s" is read in the unit stats.rate_unit names (no recording has it: synthetic)', async () => {
    const { DIALECTS } = await import('../../agents/drivers/cgminer/makes/index.ts');
    const reply = (unit: string | undefined) => ({
      summary: [{ STATUS: [{ STATUS: 'S', Description: 'cgminer 4.9.0' }], SUMMARY: [{ 'GHS 5s': '9500.00', Elapsed: 10 }], id: 1 }],
      stats: [{ STATUS: [{ STATUS: 'S', Description: 'cgminer 4.9.0' }], STATS: [{ Type: 'Antminer L7' }, { STATS: 0, ...(unit === undefined ? {} : { rate_unit: unit }) }], id: 1 }],
      id: 1,
    });
    assert.equal(DIALECTS.antminer.telemetry(reply(undefined)).metrics.hashrate_hs, 9500e9);
    assert.equal(DIALECTS.antminer.telemetry(reply('MH/s')).metrics.hashrate_hs, 9500e6);
    assert.equal(DIALECTS.antminer.telemetry(reply('TH')).metrics.hashrate_hs, 9500e12);
  });
});
