import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A benchmark site of `miners` ASICs (all five firmware families, five generations) in five
 * halls on loopback, with a revenue meter and block meters on the twin's gateway. Written to a
 * temp file because the platform starts from a site file like any site.
 */
const GROUPS = [
  { model: 'S19j-Pro', firmware: 'antminer' },
  { model: 'S19-XP', firmware: 'luxos' },
  { model: 'M60S', firmware: 'whatsminer' },
  { model: 'A1466', firmware: 'avalon' },
  { model: 'S21', firmware: 'braiins' },
  { model: 'S21-Pro', firmware: 'luxos' },
  { model: 'M60S', firmware: 'whatsminer' },
  { model: 'S21-XP', firmware: 'antminer' },
  { model: 'S19k-Pro', firmware: 'braiins' },
  { model: 'A1466', firmware: 'avalon' },
] as const;

/** `agentsPerHall`: one agent per hall (the site file's `agents`), hall 1's also reading the revenue meter. */
type Group = { model: string; firmware: 'antminer' | 'whatsminer' | 'braiins' | 'luxos' | 'avalon' };

/** One-exchange firmwares only (the overhead bench): Braiins OS on S21s, Avalon on A1466s. */
export const ONE_EXCHANGE_GROUPS: readonly Group[] = [
  { model: 'S21', firmware: 'braiins' },
  { model: 'A1466', firmware: 'avalon' },
];

export function writeBenchSite(miners: number, opts: { agentsPerHall?: boolean; groups?: readonly Group[] } = {}): string {
  const perGroup = Math.ceil(miners / GROUPS.length);
  if (perGroup > 16_000) throw new RangeError(`${miners} miners: at most 16,000 per group (a /18 each)`);
  const blocks = [0, 1, 2, 3, 4].map((b) => ({
    id: `H${b + 1}`,
    name: `Hall ${b + 1}`,
    feed: `T${b + 1}`,
    capacityMw: 60,
    cooling: 'air',
    state: 'mining',
    capability: ['mining'],
    overheadFactor: 1.05,
    miners: [0, 1].map((k) => {
      const g = opts.groups ? opts.groups[(b * 2 + k) % opts.groups.length]! : GROUPS[b * 2 + k]!;
      return { model: g.model, count: perGroup, firmware: g.firmware, network: { cidr: `127.${60 + b}.${k * 64}.0/18`, port: 4028 } };
    }),
  }));
  const site = {
    site: { id: 'bench-50k', name: 'Benchmark site', timezone: 'America/Chicago', market: { iso: 'ERCOT', settlementPoint: 'LZ_WEST' }, importLimitMw: 300, poolFee: 0.02 },
    blocks,
    meters: [
      { id: 'M-REV', role: 'revenue', host: '127.0.0.1', port: 5020, unitId: 1, profile: 'twin-pm5340' },
      ...blocks.map((b, i) => ({ id: `M-${b.id}`, role: 'block', blockId: b.id, host: '127.0.0.1', port: 5020, unitId: 11 + i, profile: 'twin-pm5340' })),
    ],
    ...(opts.agentsPerHall ? { agents: blocks.map((b, i) => ({ id: `agent-hall-${i + 1}`, blocks: [b.id], ...(i === 0 ? { meters: ['M-REV'] } : {}) })) } : {}),
  };
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-site-'));
  const path = join(dir, 'site.yaml');
  writeFileSync(path, stringify(site));
  return path;
}
