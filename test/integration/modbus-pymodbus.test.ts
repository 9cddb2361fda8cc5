// Every Modbus profile read by the engine from a real pymodbus TCP server holding values
// encoded per profile, SunSpec devices found by their marker and model chain.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { readResolved, resolveProfile } from '../../agents/drivers/modbus/device.ts';
import { loadProfile, profileNames, type ModbusProfile } from '../../agents/drivers/modbus/profile.ts';
import { ModbusConnection } from '../../agents/drivers/modbus/read.ts';
import { buildDevices } from '../support/modbus-devices.ts';
import { startModbusServer, type RunningModbusServer } from '../support/modbus-server.ts';
import { requireServiceEnv } from '../support/service-env.ts';
import { probeModbus } from '../../agents/drivers/modbus/probe-read.ts';
import { modbusTier } from '../../agents/drivers/modbus/tier.ts';
import { pollTier } from '../../agents/poll-tier.ts';
import type { Reading } from '../../services/agent-contract/batch-schema.ts';

const python = requireServiceEnv('SWITCHYARD_TEST_PYTHON');

if (python !== undefined) {
  describe('Modbus profiles against a pymodbus server', () => {
    const profiles = new Map<string, ModbusProfile>(profileNames().map((n) => [n, loadProfile(n)]));
    const { units, devices } = buildDevices(profiles);
    let server: RunningModbusServer;
    let connection: ModbusConnection;

    before(async () => {
      server = await startModbusServer(python, units);
      connection = new ModbusConnection('127.0.0.1', server.port, 2000);
    });
    after(async () => {
      await connection?.close();
      await server?.stop();
    });

    for (const device of devices) {
      test(`${device.name} (unit ${device.unitId}) decodes every register exactly`, async () => {
        const profile = profiles.get(device.name) as ModbusProfile;
        const resolved = await resolveProfile(connection, device.unitId, profile);
        if (profile.sunspec !== undefined) assert.ok(resolved.sunspecModelStart !== undefined && resolved.sunspecModelStart >= 40000);
        const reading = await readResolved(connection, device.unitId, resolved);
        assert.deepEqual(reading.failures, []);
        assert.deepEqual(reading.metrics, device.expected);
        if (device.sentinelMetric !== undefined) {
          assert.deepEqual(reading.missing, [device.sentinelMetric]);
          assert.equal(reading.metrics[device.sentinelMetric], undefined);
        }
      });
    }

    test("the agent's meter tier reads every profile's device, SunSpec ones after finding their model", async () => {
      const meters = devices.map((d) => ({ id: `M-${d.name}`, role: 'block' as const, host: '127.0.0.1', port: server.port, unitId: d.unitId, profile: d.name }));
      const tier = modbusTier(meters, { intervalMs: 1000, requestTimeoutMs: 2000 });
      const readings = new Map<string, Reading>();
      try {
        for (let cycle = 0; cycle < 2; cycle++) {
          await pollTier(tier.driver, tier.targets, { timeoutMs: tier.timeoutMs, concurrency: tier.concurrency }, (r) => readings.set(r.deviceId, r));
        }
      } finally {
        await tier.close?.();
      }
      for (const d of devices) {
        const r = readings.get(`M-${d.name}`);
        assert.equal(r?.status, 'online', `${d.name}: ${r?.error}`);
        assert.deepEqual(r?.metrics, d.expected, d.name);
      }
    });

    test('SunSpec values come out in SI units with their scale factors applied', async () => {
      const byName = (n: string) => devices.find((d) => d.name === n);
      const s203 = byName('sunspec-203');
      assert.ok(s203);
      const reading = await readResolved(connection, s203.unitId, await resolveProfile(connection, s203.unitId, loadProfile('sunspec-203')));
      // Raw registers (see rawFor): W = -(100+7·13) with W_SF 1; PhVphA = -(100+7·5) with V_SF -1; Hz = 100+7·12 with Hz_SF -2.
      assert.equal(reading.metrics.power_w, -1910);
      assert.equal(reading.metrics.voltage_an_v, -13.5);
      assert.equal(reading.metrics.frequency_hz, 1.84);
      assert.equal(reading.metrics.energy_export_wh, (70_000 + 13 * 23) * 1000);
      assert.ok(reading.missing.includes('energy_wh'), 'acc32 0 is "not accumulated"');
    });

    test('probe modbus prints metrics with their units, missing ones listed', async () => {
      const s203 = devices.find((d) => d.name === 'sunspec-203');
      assert.ok(s203);
      const result = await probeModbus({ host: '127.0.0.1', port: server.port, unitId: s203.unitId, profile: 'sunspec-203', timeoutMs: 2000 });
      assert.equal(result.status, 'online');
      assert.deepEqual(result.metrics.power_w, { value: -1910, unit: 'W' });
      assert.deepEqual(result.metrics.frequency_hz, { value: 1.84, unit: 'Hz' });
      assert.deepEqual(result.missing, ['energy_wh']);
      assert.equal(typeof result.sunspecModelStart, 'number');
    });

    test('a unit without a SunSpec marker says where it looked', async () => {
      const plain = devices.find((d) => profiles.get(d.name)?.sunspec === undefined && d.name.startsWith('eastron'));
      assert.ok(plain);
      await assert.rejects(resolveProfile(connection, plain.unitId, loadProfile('sunspec-203')), /no SunSpec marker "SunS" at unit \d+ \(40000: .*50000/);
    });

    test('a register the device lacks is a failure naming host:port, unit and registers', async () => {
      await assert.rejects(connection.read(1, 'holding', 12_000, 4), (err: Error & { modbusCode?: number }) => {
        assert.match(err.message, new RegExp(`^modbus 127\\.0\\.0\\.1:${server.port} unit 1 holding registers 12000\\.\\.12003: `));
        assert.equal(err.modbusCode, 2);
        return true;
      });
    });
  });

  describe('an unreachable Modbus device', () => {
    let silent: Server;
    let silentPort = 0;
    const accepted: Socket[] = [];
    before(async () => {
      // Accepts connections and never answers: a hung gateway.
      silent = createServer((socket) => accepted.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentPort = (silent.address() as { port: number }).port;
    });
    after(async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    test('a silent device times out within the deadline, naming where', async () => {
      const connection = new ModbusConnection('127.0.0.1', silentPort, 300);
      const started = Date.now();
      try {
        await assert.rejects(connection.read(7, 'input', 0, 2), new RegExp(`modbus 127\\.0\\.0\\.1:${silentPort} unit 7 input registers 0\\.\\.1: .*(no reply within 300 ms|Timed out)`));
      } finally {
        await connection.close();
      }
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    });

    test('a closed port is refused at once', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as { port: number }).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const connection = new ModbusConnection('127.0.0.1', port, 1000);
      try {
        await assert.rejects(connection.read(1, 'holding', 0, 1), /connect ECONNREFUSED/);
      } finally {
        await connection.close();
      }
      const probed = await probeModbus({ host: '127.0.0.1', port, unitId: 1, profile: 'eastron-sdm630', timeoutMs: 1000 });
      assert.equal(probed.status, 'offline');
      assert.deepEqual(probed.metrics, {});
      assert.match(probed.error ?? '', new RegExp(`^modbus 127\\.0\\.0\\.1:${port} unit 1 input registers 0\\.\\.75: connect ECONNREFUSED`));
    });
  });
}
