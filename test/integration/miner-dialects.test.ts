import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cgminerCommand, cgminerSend } from '../../agents/drivers/cgminer/client.ts';
import { detectMiner, minerFor } from '../../agents/drivers/cgminer/makes/index.ts';
import { MinerCommandError, PowerTargetRangeError, UnsupportedCapabilityError, type MinerAddress, type MinerMake } from '../../agents/drivers/cgminer/miner.ts';
import { asicCatalog } from '../../services/domain/catalog.ts';
import type { MinerDevice } from '../../services/domain/devices.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin, type Twin } from '../../simulations/site-twin/twin.ts';
import { probeMiner } from '../../agents/drivers/cgminer/probe-read.ts';
import { parseHostPort } from '../../agents/drivers/cgminer/probe.ts';
import { dialectSite } from '../support/dialect-site.ts';
import { until } from '../support/until.ts';

/**
 * Each make's dialect against the twin speaking it: telemetry, sleep to ~25 W, wake, power
 * targets, and the firmware's own refusals (no token, no logon, wrong digest password).
 */
const model = asicCatalog().get('S21');
assert.ok(model);
const io = { timeoutMs: 3_000 };

const waitFor = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => until(what, probe, timeoutMs, 100);

describe('miner dialects against the twin', { timeout: 90_000 }, () => {
  let twin: Twin;
  // Miner 0 of each make is slept and woken; miner 1 takes the power targets (a woken miner
  // boots for 20 s first).
  const device = (make: MinerMake, n = 0): MinerDevice => twin.miners.filter((m) => m.firmware === make)[n] as MinerDevice;
  const address = (make: MinerMake, extra: Partial<MinerAddress> = {}, n = 0): MinerAddress => {
    const d = device(make, n);
    return { host: d.host, port: d.port, webPort: twin.antminerWebPort as number, model, ...extra };
  };
  const mode = (make: MinerMake) => twin.minerById(device(make).id)?.miner.mode;

  before(async () => {
    const log = logger('site-twin');
    log.level = 'error';
    twin = await startTwin(dialectSite(2), { minerPort: 0, antminerWebPort: 0, log });
    assert.ok(twin.antminerWebPort !== undefined && twin.antminerWebPort > 0);
  });
  after(() => twin.stop());

  for (const make of ['antminer', 'whatsminer', 'braiins', 'luxos', 'avalon'] as MinerMake[]) {
    test(`${make}: auto-detected from version, telemetry in H/s and W`, async () => {
      const miner = await detectMiner(address(make), io);
      assert.equal(miner.make, make);
      const { metrics } = await miner.telemetry(io);
      const nominal = model.hashrateThs * 1e12;
      assert.ok(Math.abs((metrics.hashrate_hs as number) - nominal) / nominal < 0.05, `hashrate ${metrics.hashrate_hs}`);
      assert.ok(Math.abs((metrics.power_w as number) - model.powerW) / model.powerW < 0.05, `power ${metrics.power_w}`);
      assert.ok((metrics.temp_c as number) > 30 && (metrics.temp_c as number) < 100, `temp ${metrics.temp_c}`);
    });
  }

  for (const make of ['antminer', 'whatsminer', 'braiins', 'luxos', 'avalon'] as MinerMake[]) {
    test(`${make}: sleep → ≤ 30 W within seconds, then wake`, async (t) => {
      const miner = minerFor(make, address(make));
      const sleptAt = Date.now();
      await miner.sleep(io);
      assert.equal(mode(make), 'sleeping');
      const asleep = await waitFor(`${make} reporting ≤ 30 W`, 10_000, async () => {
        const { metrics } = await miner.telemetry(io);
        return (metrics.power_w as number) <= 30 ? metrics : undefined;
      });
      t.diagnostic(`${make}: ${asleep.power_w} W after ${Date.now() - sleptAt} ms`);
      assert.equal(asleep.hashrate_hs, 0);
      await miner.wake(io);
      assert.equal(mode(make), 'waking');
    });
  }

  for (const make of ['whatsminer', 'luxos'] as MinerMake[]) {
    test(`${make}: a power target in range is accepted and the miner's power follows it`, async () => {
      const d = device(make, 1);
      const miner = minerFor(make, address(make, {}, 1));
      const target = 3_000;
      await miner.setPowerTarget(target, io);
      const applied = twin.minerById(d.id)?.miner.powerTargetW as number;
      assert.ok(applied <= target && applied >= model.minPowerW, `applied ${applied} W for a ${target} W target`);
      await waitFor(`${make} power near ${applied} W`, 15_000, async () => {
        const { metrics } = await miner.telemetry(io);
        return Math.abs((metrics.power_w as number) - applied) / applied < 0.03 ? true : undefined;
      });
    });
  }

  test('a power target out of range is refused before any I/O', async () => {
    let connections = 0;
    const counter = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((ok) => counter.listen(0, '127.0.0.1', ok));
    try {
      const port = (counter.address() as net.AddressInfo).port;
      for (const make of ['whatsminer', 'luxos'] as MinerMake[]) {
        const miner = minerFor(make, { host: '127.0.0.1', port, model });
        for (const watts of [model.minPowerW - 1, model.maxPowerW + 1, Number.NaN]) {
          await assert.rejects(miner.setPowerTarget(watts, io), (err: unknown) => {
            assert.ok(err instanceof PowerTargetRangeError);
            assert.match(err.message, /S21 allows 2000–3800 W/);
            return true;
          });
        }
        await assert.rejects(minerFor(make, { host: '127.0.0.1', port }).setPowerTarget(3_000, io), /model is unknown/);
      }
      assert.equal(connections, 0);
    } finally {
      await new Promise<void>((ok) => counter.close(() => ok()));
    }
  });

  test('capabilities a firmware lacks throw UnsupportedCapabilityError', async () => {
    for (const make of ['antminer', 'braiins', 'avalon'] as MinerMake[]) {
      await assert.rejects(minerFor(make, address(make)).setPowerTarget(3_000, io), UnsupportedCapabilityError);
    }
  });

  test('whatsminer: write commands without a valid token are refused', async () => {
    const d = device('whatsminer');
    for (const payload of ['{"cmd":"power_off"}', '{"command":"power_off"}', '{"enc":1,"data":"AAAAAAAAAAAAAAAAAAAAAA=="}']) {
      const reply = JSON.parse((await cgminerSend(d.host, d.port, payload, io)).toString('utf8')) as { STATUS: string; Code: number };
      assert.equal(reply.STATUS, 'E', payload);
      assert.ok(reply.Code === 45 || reply.Code === 135, `${payload}: code ${reply.Code}`);
    }
    await assert.rejects(minerFor('whatsminer', address('whatsminer', { password: 'not-admin' })).sleep(io), (err: unknown) => {
      assert.ok(err instanceof MinerCommandError);
      assert.match(err.message, /power_off refused \(code 135\)/);
      return true;
    });
    assert.notEqual(mode('whatsminer'), 'sleeping');
  });

  test('luxos: curtail without logon (or with a made-up session) is refused', async () => {
    const d = device('luxos');
    for (const parameter of ['sleep', 'deadbeef,sleep']) {
      const reply = await cgminerCommand(d.host, d.port, { command: 'curtail', parameter }, io);
      const status = (reply.STATUS as Array<{ STATUS: string; Msg: string }>)[0];
      assert.equal(status?.STATUS, 'E');
      assert.match(status?.Msg ?? '', /requires logon/);
    }
    assert.notEqual(mode('luxos'), 'sleeping');
  });

  test('antminer: sleep with the wrong digest password is refused; 4028 has no sleep command', async () => {
    await assert.rejects(minerFor('antminer', address('antminer', { password: 'wrong' })).sleep(io), /digest credentials for user "root" were refused/);
    const d = device('antminer');
    const reply = await cgminerCommand(d.host, d.port, { command: 'pause' }, io);
    assert.equal((reply.STATUS as Array<{ STATUS: string }>)[0]?.STATUS, 'E');
    assert.notEqual(mode('antminer'), 'sleeping');
  });

  test('probe miner: auto-detects and prints normalised readings; a closed port is offline, not zeros', async () => {
    const d = device('luxos', 1);
    const { host, port } = parseHostPort(`${d.host}:${d.port}`);
    const online = await probeMiner({ host, port, make: 'auto', timeoutMs: 3_000, model: 'S21' });
    assert.equal(online.status, 'online');
    assert.equal(online.make, 'luxos');
    assert.ok((online.metrics.hashrate_hs as number) > 1e14);
    assert.deepEqual(online.powerRangeW, { min: 2000, max: 3800 });
    const closed = await probeMiner({ host: '127.0.0.1', port: 1, make: 'antminer', timeoutMs: 1_000 });
    assert.equal(closed.status, 'offline');
    assert.deepEqual(closed.metrics, {});
    assert.match(closed.error ?? '', /ECONNREFUSED/);
    assert.deepEqual(parseHostPort('10.0.0.5'), { host: '10.0.0.5', port: 4028 });
    assert.throws(() => parseHostPort('10.0.0.5:99999'), /HOST\[:PORT\]/);
  });
});
