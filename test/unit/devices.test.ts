import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meterDevices, minerDevices } from '../../services/domain/devices.ts';
import type { MinerGroup, SiteFile } from '../../services/domain/site-schema.ts';

function site(groups: MinerGroup[][], meters: SiteFile['meters'] = []): SiteFile {
  return {
    site: { id: 's', name: 'S', timezone: 'UTC', market: { iso: 'ERCOT', settlementPoint: 'X' }, importLimitMw: 10, poolFee: 0.02 },
    blocks: groups.map((miners, i) => ({
      id: `B${i + 1}`,
      name: `Hall ${i + 1}`,
      feed: 'T1',
      capacityMw: 5,
      cooling: 'air' as const,
      state: 'mining' as const,
      capability: ['mining' as const],
      overheadFactor: 1.05,
      miners,
      gpus: [],
    })),
    meters,
    snmpDevices: [],
    gpuHosts: [],
    contracts: [],
    debt: [],
  };
}

const group = (cidr: string, count: number, port = 4028): MinerGroup => ({ model: 'S21', count, firmware: 'braiins', network: { cidr, port } });

describe('minerDevices', () => {
  test('one address per miner from the first host, ids numbered per block across groups', () => {
    const devices = minerDevices(site([[group('127.21.0.0/16', 300), group('127.21.64.0/24', 2)], [group('127.22.0.0/30', 2)]]));
    assert.equal(devices.length, 304);
    assert.deepEqual(devices[0], { id: 'B1-m00001', blockId: 'B1', model: 'S21', firmware: 'braiins', host: '127.21.0.1', port: 4028 });
    assert.equal(devices[41]?.id, 'B1-m00042');
    assert.equal(devices[41]?.host, '127.21.0.42');
    assert.equal(devices[299]?.host, '127.21.1.44');
    assert.equal(devices[300]?.id, 'B1-m00301');
    assert.equal(devices[300]?.host, '127.21.64.1');
    assert.deepEqual(devices.slice(302).map((d) => `${d.id}@${d.host}`), ['B2-m00001@127.22.0.1', 'B2-m00002@127.22.0.2']);
  });

  test('the same site always gives the same devices', () => {
    const s = site([[group('127.21.0.0/16', 50)]]);
    assert.deepEqual(minerDevices(s), minerDevices(s));
  });

  test('port override', () => {
    assert.ok(minerDevices(site([[group('127.21.0.0/24', 3)]]), { portOverride: 40123 }).every((d) => d.port === 40123));
  });

  test('a CIDR too small for its miners is an error naming the block and group', () => {
    assert.throws(() => minerDevices(site([[group('127.21.0.0/30', 3)]])), /block B1 miner group 0 \(3 × S21\): CIDR 127\.21\.0\.0\/30 has 2 host addresses, too few for 3 miners/);
    assert.equal(minerDevices(site([[group('127.21.0.0/30', 2)]])).length, 2);
    assert.equal(minerDevices(site([[group('127.21.0.7/32', 1)]]))[0]?.host, '127.21.0.7');
  });

  test('host bits, malformed CIDRs and overlaps are refused', () => {
    assert.throws(() => minerDevices(site([[group('127.21.0.5/24', 1)]])), /host bits set \(the network is 127\.21\.0\.0\/24\)/);
    assert.throws(() => minerDevices(site([[group('127.21.0.0/33', 1)]])), /block B1 miner group 0/);
    assert.throws(() => minerDevices(site([[group('127.21.0.0/24', 10)], [group('127.21.0.0/28', 2)]])), /B2-m00001 would share 127\.21\.0\.1:4028 with B1-m00001/);
    // Same addresses on different ports are different endpoints.
    assert.equal(minerDevices(site([[group('127.21.0.0/24', 2, 4028)], [group('127.21.0.0/24', 2, 4029)]])).length, 4);
  });
});

describe('meterDevices', () => {
  const meter = (id: string, role: 'revenue' | 'block', blockId?: string) => ({
    id,
    role,
    host: '127.0.0.1',
    port: 5020,
    unitId: 1,
    profile: 'twin-pm5340',
    ...(blockId === undefined ? {} : { blockId }),
  });

  test('meters keep their endpoint; port override', () => {
    const s = site([[group('127.21.0.0/24', 1)]], [meter('M-REV', 'revenue'), meter('M-B1', 'block', 'B1')]);
    assert.deepEqual(meterDevices(s)[1], { id: 'M-B1', role: 'block', blockId: 'B1', host: '127.0.0.1', port: 5020, unitId: 1, profile: 'twin-pm5340' });
    assert.equal(meterDevices(s, { portOverride: 1502 })[0]?.port, 1502);
  });

  test('a block meter needs a block of the site', () => {
    assert.throws(() => meterDevices(site([[]], [meter('M-B9', 'block', 'B9')])), /meter M-B9: a block meter needs the blockId/);
  });
});
