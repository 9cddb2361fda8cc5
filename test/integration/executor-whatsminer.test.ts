import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CommandExecutor } from '../../agents/commands/executor.ts';
import { forgetBtminerTokens } from '../../agents/drivers/cgminer/makes/whatsminer.ts';
import type { DeviceAck } from '../../services/agent-contract/protocol.ts';
import type { MinerDevice } from '../../services/domain/devices.ts';
import { logger } from '../../services/lib/log.ts';
import { startTwin, type Twin } from '../../simulations/site-twin/twin.ts';
import { dialectSite } from '../support/dialect-site.ts';

/**
 * The agent's executor against a twin Whatsminer, whose btminer firmware issues at most 32
 * tokens per 30 minutes. Issue 10's chaos test stranded 198 miners: every command took a new
 * token, so after ~32 commands to one miner the firmware answered "Too many tokens" and the
 * wake never landed. Here 40 power targets go to one miner from 40 concurrent batches: each
 * must succeed, and the miner must end on the last one sent (one command per device at a
 * time, in order).
 */
describe('command executor on a twin Whatsminer', { timeout: 120_000 }, () => {
  let twin: Twin;
  before(async () => {
    const log = logger('site-twin');
    log.level = 'error';
    forgetBtminerTokens();
    twin = await startTwin(dialectSite(1, ['whatsminer']), { minerPort: 0, log });
  });
  after(() => twin.stop());

  test('40 setPowerTarget commands: all acked, final target is the last sent', async () => {
    const device = twin.miners[0] as MinerDevice;
    const executor = new CommandExecutor({ miners: [device] });
    const targets = Array.from({ length: 40 }, (_, i) => 2_000 + 40 * i);
    const runs: Promise<DeviceAck[]>[] = targets.map((targetW) =>
      executor.run([{ deviceId: device.id, blockId: device.blockId, action: 'set-power-target', targetW, expectedDeltaW: -100 }], { deviceTimeoutMs: 5_000, attempts: 1 }),
    );
    const acks = (await Promise.all(runs)).flat();
    const failed = acks.filter((a) => !a.ok);
    assert.deepEqual(failed, [], `failed acks: ${failed.map((a) => a.error).join('; ')}`);
    assert.equal(twin.minerById(device.id)?.miner.powerTargetW, targets[targets.length - 1]);
  });
});
