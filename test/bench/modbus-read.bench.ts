// Modbus reads/s: our engine (one profile read = its planned blocks over one connection) against
// the peer mbpoll (libmodbus) polling the same registers on the same pymodbus server, in poll mode
// (-l) so it is one process, not one per read. mbpoll's poll interval must be > 10 ms, so its
// rate is capped near 90/s: the ratio says how far our engine is from that cap, not libmodbus'
// raw speed.
import { spawn, spawnSync } from 'node:child_process';
import { readResolved, resolveProfile } from '../../agents/drivers/modbus/device.ts';
import { loadProfile } from '../../agents/drivers/modbus/profile.ts';
import { ModbusConnection } from '../../agents/drivers/modbus/read.ts';
import { buildDevices } from '../support/modbus-devices.ts';
import { startModbusServer } from '../support/modbus-server.ts';

const SECONDS = 3;

export async function run(): Promise<void> {
  const python = process.env.SWITCHYARD_TEST_PYTHON;
  if (!python) {
    console.log('skipped: SWITCHYARD_TEST_PYTHON is not set (bash infra/dev/services.sh && . ./.services.env)');
    return;
  }
  const name = 'accuvim-ii';
  const profile = loadProfile(name);
  const { units, devices } = buildDevices(new Map([[name, profile]]));
  const server = await startModbusServer(python, units);
  const unitId = devices[0]?.unitId ?? 1;
  const connection = new ModbusConnection('127.0.0.1', server.port, 2000);
  try {
    const resolved = await resolveProfile(connection, unitId, profile);
    const block = resolved.plan[0];
    if (resolved.plan.length !== 1 || block === undefined) throw new Error(`${name} should plan one block, got ${resolved.plan.length}`);
    let reads = 0;
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      await readResolved(connection, unitId, resolved);
      reads++;
    }
    const ours = reads / SECONDS;
    console.log(`ours:   ${ours.toFixed(0)} profile reads/s (${block.function} ${block.start}+${block.count}, decode included)`);

    if (spawnSync('mbpoll', ['-h'], { stdio: 'ignore' }).error !== undefined) {
      console.log('mbpoll: skipped, not installed (apt-get install mbpoll)');
      return;
    }
    const args = ['-m', 'tcp', '-p', String(server.port), '-a', String(unitId), '-0', '-r', String(block.start), '-c', String(block.count), '-t', '4:hex', '-l', '11', '-o', '2', '127.0.0.1'];
    const polls = await new Promise<number>((resolve, reject) => {
      const child = spawn('mbpoll', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let count = 0;
      let tail = '';
      child.stdout.on('data', (d: Buffer) => {
        const lines = (tail + d.toString()).split('\n');
        tail = lines.pop() ?? '';
        count += lines.filter((l) => l.startsWith(`[${block.start}]:`)).length;
      });
      child.once('error', (err) => reject(new Error(`running mbpoll: ${err.message}`, { cause: err })));
      setTimeout(() => child.kill('SIGINT'), SECONDS * 1000);
      child.once('exit', () => resolve(count));
    });
    const peer = polls / SECONDS;
    console.log(`mbpoll: ${peer.toFixed(0)} polls/s (-l 11, its minimum interval; args ${args.join(' ')})`);
    console.log(`ratio ours/mbpoll: ${(ours / Math.max(peer, 1e-9)).toFixed(1)}x`);
  } finally {
    await connection.close();
    await server.stop();
  }
}
