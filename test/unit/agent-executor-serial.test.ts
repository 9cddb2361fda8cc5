import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { CommandExecutor } from '../../agents/commands/executor.ts';
import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import type { MinerDevice } from '../../services/domain/devices.ts';

/**
 * One command per device at a time, in the order the commands came (issue 10, agent side): a
 * shed still retrying when its restore arrived, or a batch sent again after a control-plane
 * restart, raced the newer command on the same miner, and whichever landed last decided its
 * state. A loopback server speaking Braiins OS's pause/resume answers each command after a
 * delay and records how many were in flight at once and in which order they landed.
 */
test('commands for one device run one at a time, in the order they came', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const landed: string[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', (buf) => {
      const command = (JSON.parse(buf.toString('utf8').replace(/\0+$/, '')) as { command: string }).command;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // The first command is the slowest: without the per-device chain the later ones overtake it.
      const delayMs = landed.length === 0 && inFlight === 1 ? 120 : 20;
      setTimeout(() => {
        inFlight--;
        landed.push(command);
        const section = command.toUpperCase();
        socket.end(`${JSON.stringify({ STATUS: [{ STATUS: 'S', When: 0, Code: 1, Msg: 'ok', Description: 'bosminer' }], [section]: [{}], id: 1 })}\0`);
      }, delayMs);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const device: MinerDevice = { id: 'B1-m00001', blockId: 'B1', model: 'S21', firmware: 'braiins', host: '127.0.0.1', port };
    const executor = new CommandExecutor({ miners: [device] });
    const actions: DeviceCommand['action'][] = ['sleep', 'wake', 'sleep', 'wake', 'sleep', 'wake'];
    const acks = await Promise.all(actions.map((action) => executor.run([{ deviceId: device.id, blockId: 'B1', action, expectedDeltaW: 0 }], { deviceTimeoutMs: 2_000, attempts: 1 })));
    assert.ok(acks.flat().every((a) => a.ok), JSON.stringify(acks));
    assert.equal(maxInFlight, 1, 'one command at a time on one device');
    assert.deepEqual(landed, ['pause', 'resume', 'pause', 'resume', 'pause', 'resume']);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
});

/**
 * The concurrency bound holds across batches (issue 15): a 50k restore arrives as a wave
 * every few hundred ms, each its own batch; bounded per batch, ten overlapping waves had ten
 * times the exchanges in flight and thousands of wakes timed out. Two batches of six devices
 * under a bound of 3 must never have more than 3 exchanges open at once.
 */
test('the concurrency bound is the executor’s, not each batch’s', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const server = net.createServer((socket) => {
    socket.once('data', (buf) => {
      const command = (JSON.parse(buf.toString('utf8').replace(/\0+$/, '')) as { command: string }).command;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        socket.end(`${JSON.stringify({ STATUS: [{ STATUS: 'S', When: 0, Code: 1, Msg: 'ok', Description: 'bosminer' }], [command.toUpperCase()]: [{}], id: 1 })}\0`);
      }, 30);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const devices: MinerDevice[] = Array.from({ length: 12 }, (_, i) => ({ id: `B1-m${String(i).padStart(5, '0')}`, blockId: 'B1', model: 'S21', firmware: 'braiins', host: '127.0.0.1', port }));
    const executor = new CommandExecutor({ miners: devices, concurrency: 3 });
    const batch = (ds: MinerDevice[]) => executor.run(ds.map((d) => ({ deviceId: d.id, blockId: 'B1', action: 'wake', expectedDeltaW: 0 })), { deviceTimeoutMs: 2_000, attempts: 1 });
    const acks = await Promise.all([batch(devices.slice(0, 6)), batch(devices.slice(6))]);
    assert.ok(acks.flat().every((a) => a.ok), JSON.stringify(acks));
    assert.equal(maxInFlight, 3);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
});
