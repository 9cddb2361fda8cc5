import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAST_POLL_ENV, killLeft, runCli, SMALL_SITE as SITE, startTwinAndAgent, stopAll, type Proc } from '../support/cli-procs.ts';
import { until } from '../support/until.ts';

/**
 * Deployment shape (b) over TLS: `switchyard serve` with a certificate made here by a test CA
 * (openssl), the twin, and `switchyard agent --config` as separate processes. The agent
 * trusts the CA through NODE_EXTRA_CA_CERTS, ships over HTTPS and takes commands over WSS:
 * readings arrive and a curtailment is confirmed on the twin's revenue meter.
 */
/** JSON logs, as a service manager would capture them. */
const run = (args: string[], env: NodeJS.ProcessEnv) => runCli(args, { SWITCHYARD_LOG_FORMAT: 'json', ...env });

/** A CA and a certificate for 127.0.0.1 signed by it, valid for a day. */
function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=switchyard test CA');
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

function https(url: string, ca: Buffer, method: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((done, fail) => {
    const req = request(url, { method, ca, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', fail);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${url}: no answer in 10 s`)));
    req.end(body !== undefined ? JSON.stringify(body) : undefined);
  });
}

describe('switchyard serve + agent over TLS', () => {
  test('the agent ships over HTTPS and takes commands over WSS; the curtailment is meter-confirmed', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
    const dataDir = join(dir, 'data');
    const procs: Proc[] = [];
    try {
      const certs = makeCerts(dir);
      const ca = readFileSync(certs.ca);
      const serve = run(['serve', '--site', SITE, '--port', '0'], {
        SWITCHYARD_DATA_DIR: dataDir,
        SWITCHYARD_TLS_CERT_FILE: certs.cert,
        SWITCHYARD_TLS_KEY_FILE: certs.key,
        ...FAST_POLL_ENV,
      });
      procs.push(serve);
      const url = await until('the control plane URL', () => /dashboard at (https:\/\/\S+?)\/?\s/.exec(serve.out())?.[1] ?? (serve.child.exitCode !== null ? Promise.reject(new Error(serve.out())) : undefined), 60_000);
      const admin = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      // Plain HTTP to the TLS port is not served.
      await assert.rejects(fetch(url.replace('https:', 'http:') + '/api/site', { signal: AbortSignal.timeout(5000) }));
      const site = async () => (await https(`${url}/api/site`, ca, 'GET', admin)).body as { totals: { powerMw: number | null } };

      const agent = await startTwinAndAgent(dir, url, procs, { NODE_EXTRA_CA_CERTS: certs.ca });
      await until('live site power from the agent over HTTPS', async () => ((await site()).totals.powerMw !== null ? true : undefined), 60_000, 250);

      const made = await https(`${url}/api/curtailment/events`, ca, 'POST', admin, { shedMw: 0.05, durationMs: 60_000, reason: 'test: TLS' });
      assert.equal(made.status, 202, JSON.stringify(made.body));
      const eventId = made.body.eventId as string;
      const event = await until('the shed confirmed on the meter', async () => {
        const r = (await https(`${url}/api/curtailment/events/${eventId}`, ca, 'GET', admin)).body as { status: string; devices: Array<{ phase: string; outcome?: string }> };
        if (['failed', 'aborted', 'done'].includes(r.status)) throw new Error(`event ended ${r.status} before the meter confirmed it`);
        return r.status === 'meter-confirmed' ? r : undefined;
      }, 90_000, 250);
      assert.ok(event.devices.some((d) => d.phase === 'shed' && d.outcome === 'acked'), 'commands went over WSS and the twin acked them');
      assert.match(agent.out(), /wss:\/\/127\.0\.0\.1:\d+\/api\/agent\/channel/);

      for (const { code, out } of await stopAll(procs)) assert.equal(code, 0, out);
    } finally {
      killLeft(procs);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
