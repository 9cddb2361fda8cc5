import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CommandExecutor } from '../../agents/commands/executor.ts';
import { forgetBtminerTokens } from '../../agents/drivers/cgminer/makes/whatsminer.ts';
import { forgetDigestNonces } from '../../agents/drivers/cgminer/web.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import type { MinerDevice } from '../../services/domain/devices.ts';
import { logger } from '../../services/lib/log.ts';
import { tokensIssued } from '../../simulations/site-twin/dialect-whatsminer.ts';
import { startTwin, type Twin } from '../../simulations/site-twin/twin.ts';
import { dialectSite } from '../support/dialect-site.ts';

/**
 * Issue 15, fewer and cheaper exchanges. Antminer stock firmware sleeps through its web UI
 * behind HTTP Digest: without a kept nonce each of a command's two requests (read the config,
 * write it back) is first refused with a 401 challenge — four requests. With the nonce kept
 * (nc counted up) and taken ahead by prepare(), a command is two requests on one keep-alive
 * connection. Whatsminer's get_token (and its md5crypt) moves ahead of the event the same way.
 */
describe('executor prepare(): auth taken ahead of the commands', { timeout: 120_000 }, () => {
  let twin: Twin;
  let antminers: MinerDevice[];
  let whatsminers: MinerDevice[];
  before(async () => {
    const log = logger('site-twin');
    log.level = 'error';
    forgetBtminerTokens();
    forgetDigestNonces();
    twin = await startTwin(dialectSite(20, ['antminer', 'whatsminer', 'braiins']), { minerPort: 0, log });
    antminers = twin.miners.filter((m) => m.firmware === 'antminer');
    whatsminers = twin.miners.filter((m) => m.firmware === 'whatsminer');
  });
  after(() => twin.stop());

  const sleeps = (ms: MinerDevice[]): DeviceCommand[] => ms.map((m) => ({ deviceId: m.id, blockId: m.blockId, action: 'sleep', expectedDeltaW: -1000 }));
  const wakes = (ms: MinerDevice[]): DeviceCommand[] => ms.map((m) => ({ deviceId: m.id, blockId: m.blockId, action: 'wake', expectedDeltaW: 1000 }));

  test('Antminer: 2 requests per command after prepare (4 without a kept nonce), at most one connection each', async () => {
    const executor = new CommandExecutor({ miners: twin.miners, minerWebPort: twin.antminerWebPort! });
    const prep = await executor.prepare(antminers.map((m) => m.id), 5_000);
    assert.deepEqual(prep, { prepared: antminers.length, failed: 0, errors: [] });
    const before = twin.antminerWebCounts()!;
    const acks = await executor.run(sleeps(antminers), { deviceTimeoutMs: 5_000, attempts: 1 });
    assert.deepEqual(acks.filter((a) => !a.ok), []);
    const afterSleep = twin.antminerWebCounts()!;
    assert.equal(afterSleep.requests - before.requests, 2 * antminers.length, 'two requests per sleep');
    // The prepare's connection may still be open (kept alive 2 s): at most one new one per miner.
    assert.ok(afterSleep.connections - before.connections <= antminers.length, `${afterSleep.connections - before.connections} connections for ${antminers.length} sleeps`);
    for (const m of antminers) assert.equal(twin.minerById(m.id)!.miner.snapshot(Date.now()).mode, 'sleeping');

    // Without kept nonces (an agent just started, no pre-arm): the first command pays the 401.
    forgetDigestNonces();
    const b2 = twin.antminerWebCounts()!;
    const woke = await executor.run(wakes(antminers), { deviceTimeoutMs: 5_000, attempts: 1 });
    assert.deepEqual(woke.filter((a) => !a.ok), []);
    assert.equal(twin.antminerWebCounts()!.requests - b2.requests, 3 * antminers.length, 'a 401 round trip, then the nonce is reused for the write');
  });

  test('Whatsminer: prepare takes the token, the command takes none; a prepare within the refresh age takes none either', async () => {
    const executor = new CommandExecutor({ miners: twin.miners });
    const issued = () => whatsminers.reduce((s, m) => s + tokensIssued(twin.minerById(m.id)!.miner), 0);
    const t0 = issued();
    assert.equal((await executor.prepare(whatsminers.map((m) => m.id), 5_000)).prepared, whatsminers.length);
    assert.equal(issued() - t0, whatsminers.length);
    await executor.prepare(whatsminers.map((m) => m.id), 5_000);
    assert.equal(issued() - t0, whatsminers.length, 'a fresh token is kept, not replaced');
    const acks = await executor.run(sleeps(whatsminers), { deviceTimeoutMs: 5_000, attempts: 1 });
    assert.deepEqual(acks.filter((a) => !a.ok), []);
    assert.equal(issued() - t0, whatsminers.length, 'the sleeps took no token');
    await executor.run(wakes(whatsminers), { deviceTimeoutMs: 5_000, attempts: 1 });
  });

  test('client CPU is counted per dialect, one try per command', async () => {
    const executor = new CommandExecutor({ miners: twin.miners, minerWebPort: twin.antminerWebPort! });
    const braiins = twin.miners.filter((m) => m.firmware === 'braiins');
    await executor.run([...sleeps(braiins), ...sleeps(whatsminers), ...sleeps(antminers)], { deviceTimeoutMs: 5_000, attempts: 1 });
    await executor.run([...wakes(braiins), ...wakes(whatsminers), ...wakes(antminers)], { deviceTimeoutMs: 5_000, attempts: 1 });
    const cpu = executor.cpuByDialect();
    assert.deepEqual(Object.keys(cpu).sort(), ['antminer', 'braiins', 'whatsminer']);
    for (const [make, t] of Object.entries(cpu)) {
      assert.equal(t.tries, 40, `${make}: 20 sleeps + 20 wakes`);
      assert.ok(t.cpuUs > 0, `${make}: some CPU counted`);
    }
    // Whatsminer encrypts and decrypts every command (AES) on top of what Braiins does.
    assert.ok(cpu.whatsminer!.cpuUs > cpu.braiins!.cpuUs, `whatsminer ${cpu.whatsminer!.cpuUs} µs > braiins ${cpu.braiins!.cpuUs} µs`);
  });
});
