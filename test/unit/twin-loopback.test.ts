import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { loadSiteFile } from '../../services/domain/load-site.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin } from '../../simulations/site-twin/twin.ts';
import { listenOnAddresses } from '../../simulations/site-twin/loopback-listen.ts';

/** The twin listens on its miners' loopback addresses, not on every interface. */

function dial(host: string, port: number): Promise<'open' | string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('timeout');
    });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

const outside = Object.values(networkInterfaces()).flat().find((i) => i?.family === 'IPv4' && !i.internal)?.address;

describe('twin listeners', () => {
  it('a small site: one socket per miner address, nothing on the other interfaces', async (t) => {
    const twin = await startTwin(loadSiteFile('test/support/sites/small.yaml'), { minerPort: 0, meterPort: 0 });
    try {
      const m = twin.miners[0]!;
      assert.equal(await dial(m.host, m.port), 'open');
      // An address no miner has: nothing listens there.
      assert.equal(await dial('127.40.9.9', m.port), 'ECONNREFUSED');
      if (outside === undefined) t.diagnostic('no non-loopback IPv4 interface here: the outside check needs one');
      else assert.equal(await dial(outside, m.port), 'ECONNREFUSED', `nothing on ${outside}:${m.port}`);
      if (twin.antminerWebPort !== undefined && outside !== undefined) assert.equal(await dial(outside, twin.antminerWebPort), 'ECONNREFUSED');
    } finally {
      await twin.stop();
    }
  });

  it('past the address limit: one wildcard socket (the handlers reset non-loopback clients)', async () => {
    const opened: string[] = [];
    const l = await listenOnAddresses(() => createServer((s) => s.destroy()), ['127.50.0.1', '127.50.0.2', '127.50.0.3'], { port: 0, backlog: 16, what: 'test listener', log: logger('test'), maxAddresses: 2 });
    try {
      assert.equal(l.mode, 'wildcard');
      assert.equal(l.servers.length, 1);
      opened.push(await dial('127.50.0.3', l.port));
    } finally {
      await Promise.all(l.servers.map((s) => new Promise((r) => s.close(r))));
    }
    assert.deepEqual(opened, ['open']);
    const few = await listenOnAddresses(() => createServer((s) => s.destroy()), ['127.50.0.1', '127.50.0.2', '127.50.0.1'], { port: 0, backlog: 16, what: 'test listener', log: logger('test') });
    try {
      assert.equal(few.mode, 'loopback');
      assert.equal(few.servers.length, 2, 'one socket per distinct address');
      assert.equal(await dial('127.50.0.2', few.port), 'open');
      assert.equal(await dial('127.50.0.3', few.port), 'ECONNREFUSED');
    } finally {
      await Promise.all(few.servers.map((s) => new Promise((r) => s.close(r))));
    }
  });
});
