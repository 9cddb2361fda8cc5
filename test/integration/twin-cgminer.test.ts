import assert from 'node:assert/strict';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { cgminerCall, cgminerCommand, CgminerTransportError } from '../../agents/drivers/cgminer/client.ts';
import { asicCatalog } from '../../services/domain/catalog.ts';
import type { MinerDevice } from '../../services/domain/devices.ts';
import { logger } from '../../services/lib/log.ts';
import { startCgminerServer, type CgminerServer, type MinerEndpoint } from '../../simulations/site-twin/cgminer-server.ts';
import { VirtualMiner } from '../../simulations/site-twin/miner.ts';

/** The twin's cgminer listener over real TCP: the protocol, its edge cases, and who it serves. */
const model = asicCatalog().get('S21');
assert.ok(model);

/** Sends raw bytes, optionally half-closes, and returns everything until the server closes. */
function raw(host: string, port: number, payload: string, opts: { halfClose?: boolean } = {}): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ host, port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('connect', () => {
      if (payload !== '') socket.write(payload);
      if (opts.halfClose) socket.end();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    // Half-open is only for sending a half-close; once the twin has closed, close too.
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error('the twin kept the connection open'));
    });
  });
}

describe('twin cgminer listener', { timeout: 30_000 }, () => {
  let server: CgminerServer;
  let endpoint: MinerEndpoint;
  const device: MinerDevice = { id: 'B1-m00001', blockId: 'B1', model: 'S21', firmware: 'whatsminer', host: '127.21.0.1', port: 0 };

  before(async () => {
    endpoint = { device, miner: new VirtualMiner(model, { seed: 1, nowMs: Date.now() }) };
    const log = logger('site-twin');
    log.level = 'error';
    server = await startCgminerServer({ port: 0, lookup: (a) => (a === device.host ? endpoint : undefined), clock: Date.now, log, requestTimeoutMs: 300 });
    device.port = server.port;
  });
  after(() => server.close());

  test('JSON request: one reply ending in NUL, then the twin closes', async () => {
    const { text } = await raw(device.host, server.port, '{"command":"summary"}');
    assert.ok(text.endsWith('\0'));
    assert.equal(text.indexOf('\0'), text.length - 1);
    const reply = JSON.parse(text.slice(0, -1)) as { STATUS: Array<{ STATUS: string; Code: number }>; SUMMARY: Array<Record<string, unknown>> };
    assert.equal(reply.STATUS[0]?.Code, 11);
    assert.ok((reply.SUMMARY[0]?.['MHS 5s'] as number) > 1e8);
  });

  test('multi-command summary+stats, and control commands refused inside one', async () => {
    const reply = await cgminerCommand(device.host, server.port, { command: 'summary+stats+pause' }, { timeoutMs: 1_000 });
    assert.deepEqual(Object.keys(reply), ['summary', 'stats', 'pause', 'id']);
    const pause = (reply.pause as Array<{ STATUS: Array<{ STATUS: string; Code: number }> }>)[0];
    assert.equal(pause?.STATUS[0]?.STATUS, 'E');
    assert.equal(pause?.STATUS[0]?.Code, 45);
    assert.equal(endpoint.miner.mode, 'mining');
  });

  test('plain-text request gets the plain-text reply', async () => {
    const { text } = await raw(device.host, server.port, 'summary|');
    assert.match(text, /^STATUS=S,When=\d+,Code=11,Msg=Summary,Description=cgminer 4\.9\.2\|SUMMARY,Elapsed=\d+,MHS av=/);
    assert.ok(text.endsWith('|\0'));
  });

  test('unknown command, garbage and broken JSON get cgminer STATUS E replies', async () => {
    const unknown = await cgminerCommand(device.host, server.port, { command: 'frobnicate' }, { timeoutMs: 1_000 });
    assert.deepEqual((unknown.STATUS as unknown[])[0], { STATUS: 'E', When: (unknown.STATUS as Array<{ When: number }>)[0]?.When, Code: 14, Msg: 'Invalid command', Description: 'cgminer 4.9.2' });
    assert.match((await raw(device.host, server.port, '\x01\x02garbage\xff')).text, /^STATUS=E,.*Code=14,Msg=Invalid command/);
    assert.match((await raw(device.host, server.port, '{"command":]}')).text, /"Code":23,"Msg":"Invalid JSON"/);
    assert.match((await raw(device.host, server.port, '{"cmd":"summary"}')).text, /"Code":24/);
  });

  test('a client that sends nothing, or half a request, is cut off after the request timeout', async () => {
    const silent = await raw(device.host, server.port, '');
    assert.equal(silent.text, '');
    assert.ok(silent.ms >= 250 && silent.ms < 2_000, `closed after ${silent.ms} ms`);
    const half = await raw(device.host, server.port, '{"command":"sum');
    assert.equal(half.text, '');
    const halfClosed = await raw(device.host, server.port, '{"command":"sum', { halfClose: true });
    assert.equal(halfClosed.text, '');
  });

  test('a request split over several packets is answered once complete', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: device.host, port: server.port });
      const chunks: Buffer[] = [];
      socket.on('connect', () => {
        socket.write('{"comm');
        setTimeout(() => socket.write('and":"version"}'), 50);
      });
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
    });
    assert.match(reply, /"VERSION":\[/);
  });

  test('an address with no miner is reset, like a host with nothing listening', async () => {
    await assert.rejects(cgminerCall('127.21.0.99', server.port, { command: 'summary' }, { timeoutMs: 1_000 }), (err: unknown) => {
      assert.ok(err instanceof CgminerTransportError);
      assert.match(err.message, /ECONNRESET|closed without a reply/);
      return true;
    });
  });

  test('an unreachable miner controller (reachable = false) is reset too', async () => {
    endpoint.miner.reachable = false;
    try {
      await assert.rejects(cgminerCall(device.host, server.port, { command: 'summary' }, { timeoutMs: 1_000 }), CgminerTransportError);
    } finally {
      endpoint.miner.reachable = true;
    }
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  test('connections that do not come from and go to 127.0.0.0/8 are cut at once', { skip: external === undefined ? 'no non-loopback IPv4 address here' : false }, async () => {
    const { text } = await raw(external as string, server.port, '{"command":"summary"}');
    assert.equal(text, '');
  });

  test('client deadline: a listener that never answers costs at most timeoutMs', async () => {
    // Reads and discards, never answers (resume() so the client's close is noticed).
    const mute = net.createServer((socket) => socket.resume().on('error', () => socket.destroy()));
    await new Promise<void>((ok) => mute.listen(0, '127.0.0.1', ok));
    const started = Date.now();
    try {
      await assert.rejects(cgminerCall('127.0.0.1', (mute.address() as net.AddressInfo).port, { command: 'summary' }, { timeoutMs: 300 }), /no complete reply within 300 ms/);
      assert.ok(Date.now() - started < 1_000);
    } finally {
      await new Promise<void>((ok) => mute.close(() => ok()));
    }
  });
});
