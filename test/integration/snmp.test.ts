import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { loadProfile, profileNames } from '../../agents/drivers/snmp/profile.ts';
import { readProfile } from '../../agents/drivers/snmp/read.ts';
import { parseHostPort, SnmpClient, SnmpError, type SnmpTarget } from '../../agents/drivers/snmp/session.ts';
import { Tag, varbindNumber, varbindText } from '../../agents/drivers/snmp/varbind.ts';
import { requireServiceEnv } from '../support/service-env.ts';

/**
 * The SNMP engine against real agents: snmpsim serving test/support/snmprec/<profile>.snmprec
 * (community = profile name) and snmpd (v2c and v3 authPriv).
 */
const simAddress = requireServiceEnv('SWITCHYARD_TEST_SNMPSIM');
const snmpdAddress = requireServiceEnv('SWITCHYARD_TEST_SNMPD');
const v3User = requireServiceEnv('SWITCHYARD_TEST_SNMPD_V3_USER');
const v3Auth = requireServiceEnv('SWITCHYARD_TEST_SNMPD_V3_AUTH');
const v3Priv = requireServiceEnv('SWITCHYARD_TEST_SNMPD_V3_PRIV');

/** What each recording decodes to: every metric exact, and what must be missing. */
const EXPECTED: Record<string, { metrics: Record<string, number>; missing: string[]; labels?: Record<string, string> }> = {
  'apc-rpdu2': {
    metrics: {
      power_w: 3120,
      energy_wh: 4821300,
      phase_1_current_a: 13.1,
      phase_2_current_a: 9.8,
      phase_3_current_a: 10.2,
      phase_1_voltage_v: 230,
      phase_2_voltage_v: 231,
      phase_3_voltage_v: 229,
      phase_1_power_w: 3010,
      phase_2_power_w: 2260,
      phase_3_power_w: 2340,
      outlet_1_on: 1,
      outlet_2_on: 0,
      outlet_3_on: 1,
    },
    missing: ['power_factor'], // recorded as -1: not supported on the model
  },
  'apc-inrow': {
    metrics: { cooling_output_w: 12500, cooling_demand_w: 13000, rack_inlet_temp_c: 23.1, supply_air_temp_c: 18.2, return_air_temp_c: 35.6, fan_speed_pct: 65.5 },
    missing: [],
  },
  'raritan-px2': {
    // current 12345 with 3 decimal digits; power factor 98 with 2.
    metrics: { current_a: 12.345, voltage_v: 230, power_w: 2780, apparent_power_va: 2840, power_factor: 0.98, energy_wh: 123456789 },
    missing: ['frequency_hz'], // no value recorded: noSuchInstance
  },
  'servertech-sentry4': {
    metrics: {
      cord_1_1_power_w: 888,
      cord_1_2_power_w: 919,
      cord_1_1_apparent_power_va: 961,
      cord_1_2_apparent_power_va: 992,
      cord_1_1_power_factor: 0.92,
      cord_1_2_power_factor: 0.93,
      cord_1_1_energy_wh: 1234500,
      cord_1_1_frequency_hz: 60,
      cord_1_2_frequency_hz: 60,
      line_1_1_1_current_a: 4.12,
      line_1_2_1_current_a: 3.98,
      phase_1_1_1_voltage_v: 239.5,
      phase_1_2_1_voltage_v: 240.5,
    },
    missing: ['cord_1_2_energy_wh'], // -1
  },
  'eaton-epdu': {
    // unit 0 (index base 0) becomes row 1
    metrics: {
      input_1_1_power_w: 716,
      input_1_1_apparent_power_va: 721,
      input_1_1_energy_wh: 9787062,
      input_1_1_frequency_hz: 60,
      input_voltage_1_1_1_voltage_v: 118.13,
      input_current_1_1_1_current_a: 6.106,
    },
    missing: [],
  },
  'vertiv-geist': {
    metrics: {
      pdu_1_power_w: 5230,
      pdu_1_apparent_power_va: 5400,
      pdu_1_power_factor_pct: 97,
      pdu_1_energy_wh: 8812345,
      phase_1_1_voltage_v: 230.1,
      phase_1_2_voltage_v: 229.8,
      phase_1_1_current_a: 11.5,
      phase_1_2_current_a: 10.87,
    },
    missing: [],
  },
  'stulz-crac': { metrics: { air_temp_c: 22, return_air_temp_c: 22.1, supply_air_temp_c: 18, return_air_humidity_pct: 45.5 }, missing: [] },
  'apc-smart-ups': {
    metrics: { battery_capacity_pct: 100, battery_temp_c: 27, battery_runtime_s: 2160, input_voltage_v: 229, load_pct: 42, output_power_w: 2380 },
    missing: [],
    labels: { model: 'Smart-UPS SRT 6000' },
  },
};

function v3Target(address: string, overrides: Partial<SnmpTarget['v3']> = {}): SnmpTarget {
  const [authProto, authKey] = (v3Auth as string).split(/:(.*)/s);
  const [privProto, privKey] = (v3Priv as string).split(/:(.*)/s);
  assert.equal(authProto, 'SHA');
  assert.equal(privProto, 'AES');
  return {
    ...parseHostPort(address),
    timeoutMs: 1000,
    retries: 0,
    v3: { user: v3User as string, authProtocol: 'sha', authKey: authKey as string, privProtocol: 'aes', privKey: privKey as string, ...overrides },
  };
}

if (simAddress) {
  describe('every profile read from its snmpsim recording', () => {
    test('each profile has a recording and an expectation', () => {
      assert.deepEqual(Object.keys(EXPECTED).sort(), profileNames());
    });
    for (const name of profileNames()) {
      test(`${name}: exact decoded values`, async () => {
        const client = new SnmpClient({ ...parseHostPort(simAddress), community: name, timeoutMs: 2000, retries: 1 });
        try {
          const reading = await readProfile(client, loadProfile(name), name);
          const expected = EXPECTED[name];
          assert.ok(expected, `no expectation for ${name}`);
          assert.deepEqual(reading.failures, []);
          assert.deepEqual(reading.metrics, expected.metrics);
          assert.deepEqual(reading.missing.sort(), [...expected.missing].sort());
          assert.deepEqual(reading.labels, expected.labels ?? {});
        } finally {
          client.close();
        }
      });
    }

    test('an unknown community reads as an error with the profile and address in it', async () => {
      const client = new SnmpClient({ ...parseHostPort(simAddress), community: 'no-such-recording', timeoutMs: 300, retries: 0 });
      try {
        await assert.rejects(readProfile(client, loadProfile('apc-inrow'), 'apc-inrow'), (err: Error) => {
          assert.match(err.message, new RegExp(`^reading apc-inrow at ${simAddress.replace(/\./g, '\\.')}: `));
          return true;
        });
      } finally {
        client.close();
      }
    });
  });
}

if (snmpdAddress && v3User && v3Auth && v3Priv) {
  describe('snmpd through the engine', () => {
    const peerIfDescr = (): string[] =>
      execFileSync('snmpbulkwalk', ['-v2c', '-c', 'public', '-On', '-Oqv', snmpdAddress, '1.3.6.1.2.1.2.2.1.2'], { env: { ...process.env, MIBS: '' }, encoding: 'utf8', timeout: 10_000 })
        .trim()
        .split('\n')
        .map((l) => l.replace(/^"|"$/g, ''));

    for (const version of ['v2c', 'v3 authPriv'] as const) {
      test(`${version}: sysUpTime, sysName and the IF-MIB ifTable`, async () => {
        const target: SnmpTarget = version === 'v2c' ? { ...parseHostPort(snmpdAddress), community: 'public', timeoutMs: 1000, retries: 0 } : v3Target(snmpdAddress);
        const client = new SnmpClient(target);
        try {
          const [upTime, sysName] = await client.get(['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0']);
          assert.ok(upTime && sysName);
          assert.equal(upTime.type, Tag.TimeTicks);
          assert.ok((varbindNumber(upTime, 'timeticks') ?? 0) > 0);
          assert.equal(varbindText(sysName), 'switchyard-snmpd');
          const indexes = await client.walk('1.3.6.1.2.1.2.2.1.1');
          const descr = await client.walk('1.3.6.1.2.1.2.2.1.2');
          assert.ok(indexes.length >= 1);
          assert.equal(descr.length, indexes.length);
          assert.ok(indexes.every((vb) => vb.oid.startsWith('1.3.6.1.2.1.2.2.1.1.') && vb.type === Tag.Integer));
          assert.deepEqual(descr.map((vb) => varbindText(vb)), peerIfDescr());
          assert.ok(descr.some((vb) => varbindText(vb) === 'lo'));
        } finally {
          client.close();
        }
      });
    }

    test('v3 with a wrong auth key fails as an authentication error', async () => {
      const client = new SnmpClient(v3Target(snmpdAddress, { authKey: 'not-the-auth-key' }));
      try {
        await assert.rejects(client.get(['1.3.6.1.2.1.1.5.0']), (err: unknown) => {
          assert.ok(err instanceof SnmpError, String(err));
          assert.equal(err.code, 'E_SNMP_AUTH');
          assert.match(err.message, /SNMPv3 authentication failed .*check the user, auth key and priv key/);
          assert.match(err.message, new RegExp(snmpdAddress.replace(/\./g, '\\.')));
          return true;
        });
      } finally {
        client.close();
      }
    });

    test('v3 with a wrong priv key goes unanswered (snmpd drops what it cannot decrypt): a timeout that says so', async () => {
      const client = new SnmpClient(v3Target(snmpdAddress, { privKey: 'not-the-priv-key' }));
      try {
        await assert.rejects(client.get(['1.3.6.1.2.1.1.5.0']), (err: unknown) => {
          assert.ok(err instanceof SnmpError, String(err));
          assert.equal(err.code, 'E_SNMP_TIMEOUT');
          assert.match(err.message, /wrong priv key also goes unanswered/);
          return true;
        });
      } finally {
        client.close();
      }
    });
  });
}

describe('a port that never answers', () => {
  let silent: dgram.Socket;
  let port = 0;
  before(async () => {
    // A bound socket that reads and never replies: the request is delivered and ignored.
    silent = dgram.createSocket('udp4');
    silent.on('message', () => undefined);
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    port = silent.address().port;
  });
  after(() => silent.close());

  test('get fails with a timeout error within timeout × (retries + 1) plus slack', async () => {
    const client = new SnmpClient({ host: '127.0.0.1', port, community: 'public', timeoutMs: 250, retries: 1 });
    const started = Date.now();
    try {
      await assert.rejects(client.get(['1.3.6.1.2.1.1.5.0']), (err: unknown) => {
        assert.ok(err instanceof SnmpError, String(err));
        assert.equal(err.code, 'E_SNMP_TIMEOUT');
        assert.match(err.message, new RegExp(`at 127\\.0\\.0\\.1:${port}: no reply`));
        return true;
      });
      const ms = Date.now() - started;
      assert.ok(ms >= 450 && ms < client.requestDeadlineMs + 250, `took ${ms} ms`);
    } finally {
      client.close();
    }
  });

  test('a profile read stops at the first timeout (one deadline, not one per column) and names profile and address', async () => {
    const client = new SnmpClient({ host: '127.0.0.1', port, community: 'public', timeoutMs: 250, retries: 0 });
    const started = Date.now();
    try {
      await assert.rejects(readProfile(client, loadProfile('apc-rpdu2'), 'apc-rpdu2'), (err: Error) => {
        assert.match(err.message, new RegExp(`^reading apc-rpdu2 at 127\\.0\\.0\\.1:${port}: get .*no reply`));
        return true;
      });
      const ms = Date.now() - started;
      assert.ok(ms < client.requestDeadlineMs + 250, `took ${ms} ms`);
    } finally {
      client.close();
    }
  });
});
