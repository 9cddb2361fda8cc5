import type { Block, SiteFile } from './site-schema.ts';
import type { Firmware } from './site-schema.ts';
import { summarizeBlock, type Catalogs } from './site.ts';
import { firstHost, formatIpv4, parseCidr, usableHosts } from './ipv4.ts';
import { actuatorLayout } from './actuators.ts';
import { DeviceLayoutError, minerDevices } from './devices.ts';

/**
 * Cross-reference checks on a site file that already passed the schema. Pure: returns
 * findings with the path of the offending value; load-site.ts turns paths into file:line.
 * An error is something the platform cannot run correctly with; a warning is legal but odd.
 */

export type Path = readonly (string | number)[];

export interface Finding {
  path: Path;
  message: string;
  severity: 'error' | 'warning';
  /** Point at the key rather than its value (the value may be absent). */
  at?: 'key';
}

const MW = 1e6;

/** Which firmware families run on which make (the agent picks its driver from this). */
const FIRMWARE_BY_MAKE: Record<string, readonly Firmware[]> = {
  Bitmain: ['antminer', 'braiins', 'luxos'],
  MicroBT: ['whatsminer'],
  Canaan: ['avalon'],
};

export function crossCheckSite(site: SiteFile, catalogs: Catalogs): Finding[] {
  const out: Finding[] = [];
  const err = (path: Path, message: string) => out.push({ path, message, severity: 'error' });
  const warn = (path: Path, message: string) => out.push({ path, message, severity: 'warning' });

  uniqueIds('blocks', site.blocks, 'block', err);
  uniqueIds('meters', site.meters, 'meter', err);
  uniqueIds('contracts', site.contracts, 'contract', err);
  uniqueIds('debt', site.debt, 'debt instrument', err);
  uniqueIds('snmpDevices', site.snmpDevices, 'SNMP device', err);
  uniqueIds('gpuHosts', site.gpuHosts, 'GPU host', err);

  const contractIds = new Set(site.contracts.map((c) => c.id));
  const blockIds = new Set(site.blocks.map((b) => b.id));

  site.blocks.forEach((b, i) => checkBlock(b, ['blocks', i], site, catalogs, contractIds, err, warn));
  checkAddresses(site, err);
  checkImport(site, err, warn);
  checkContracts(site, catalogs, err, warn);
  checkMeters(site, blockIds, err, warn);
  checkAgentDevices(site, blockIds, err, warn);
  checkAgentAssignment(site, err, warn);
  checkDebt(site, err);
  checkActuators(site, err);
  return out;
}

/** Actuator channels name real miners of their block, each miner behind one channel at most. */
function checkActuators(site: SiteFile, err: Report): void {
  if (site.actuators === undefined) return;
  let ids: Set<string>;
  try {
    ids = new Set(minerDevices(site).map((d) => d.id));
  } catch (e) {
    if (e instanceof DeviceLayoutError) return; // reported by checkAddresses
    throw e;
  }
  try {
    actuatorLayout(site, ids);
  } catch (e) {
    if (!(e instanceof DeviceLayoutError)) throw e;
    err(['actuators'], e.message);
  }
}

type Report = (path: Path, message: string) => void;

function uniqueIds(list: string, items: readonly { id: string }[], what: string, err: Report): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const seen = first.get(item.id);
    if (seen === undefined) first.set(item.id, i);
    else err([list, i, 'id'], `duplicate ${what} id "${item.id}" (also ${list}[${seen}])`);
  });
}

function checkBlock(
  b: Block,
  at: Path,
  site: SiteFile,
  catalogs: Catalogs,
  contractIds: ReadonlySet<string>,
  err: Report,
  warn: Report,
): void {
  if (b.state === 'ai') {
    if (!b.capability.includes('ai')) err([...at, 'capability'], 'a block in state ai needs capability ai');
    if (b.contractId === undefined) err([...at, 'state'], 'a block in state ai needs a contractId');
  }
  if (b.state === 'mining' && !b.capability.includes('mining')) err([...at, 'capability'], 'a block in state mining needs capability mining');
  if (b.state === 'converting' && b.conversion === undefined) err([...at, 'state'], 'a block in state converting needs a conversion (to, readyDate, capexUsd)');
  if (b.conversion !== undefined && b.state !== 'converting') warn([...at, 'conversion'], `conversion is set but the block is in state ${b.state}`);
  if (b.contractId !== undefined && !contractIds.has(b.contractId)) err([...at, 'contractId'], `no contract with id "${b.contractId}"`);
  if (b.gpus.length > 0 && !b.capability.includes('ai') && b.conversion?.to !== 'ai') {
    err([...at, 'gpus'], 'GPUs in a block without capability ai');
  }

  let allKnown = true;
  b.miners.forEach((g, k) => {
    const m = catalogs.asics.get(g.model);
    if (!m) {
      allKnown = false;
      err([...at, 'miners', k, 'model'], `unknown ASIC model "${g.model}" (catalog has ${[...catalogs.asics.keys()].join(', ')})`);
      return;
    }
    const fits = FIRMWARE_BY_MAKE[m.make];
    if (fits && !fits.includes(g.firmware)) {
      err([...at, 'miners', k, 'firmware'], `firmware ${g.firmware} does not run on ${m.make} ${m.name} (use ${fits.join(' or ')})`);
    }
    // Hydro and immersion machines cannot run without their cooling loop; air machines in a
    // hydro hall would at least need dry coolers, so that is only odd.
    if (m.cooling !== 'air' && m.cooling !== b.cooling) {
      err([...at, 'miners', k, 'model'], `${m.name} needs ${m.cooling} cooling but the block is ${b.cooling}`);
    } else if (m.cooling === 'air' && b.cooling !== 'air') {
      warn([...at, 'miners', k, 'model'], `air-cooled ${m.name} in a ${b.cooling}-cooled block`);
    }
  });
  b.gpus.forEach((g, k) => {
    if (!catalogs.gpus.has(g.model)) {
      allKnown = false;
      err([...at, 'gpus', k, 'model'], `unknown GPU model "${g.model}" (catalog has ${[...catalogs.gpus.keys()].join(', ')})`);
    }
  });
  if (!allKnown) return; // power needs every model; the unknown ones are already reported

  const s = summarizeBlock(b, catalogs);
  if (s.grossPowerW > s.capacityW) {
    err(
      [...at, 'capacityMw'],
      `devices need ${mw(s.itPowerW)} MW IT × overhead ${b.overheadFactor} = ${mw(s.grossPowerW)} MW, ` +
        `exceeding capacityMw ${b.capacityMw} by ${mw(s.grossPowerW - s.capacityW)} MW`,
    );
  }
  if (b.capacityMw > site.site.importLimitMw) {
    err([...at, 'capacityMw'], `capacityMw ${b.capacityMw} exceeds the site importLimitMw ${site.site.importLimitMw}`);
  }
}

/** Every miner gets one address; two groups handing out the same address is a real fault. */
function checkAddresses(site: SiteFile, err: Report): void {
  const ranges: { first: number; last: number; path: Path; label: string }[] = [];
  site.blocks.forEach((b, i) =>
    b.miners.forEach((g, k) => {
      const path: Path = ['blocks', i, 'miners', k, 'network', 'cidr'];
      let c;
      try {
        c = parseCidr(g.network.cidr);
      } catch (e) {
        err(path, (e as RangeError).message);
        return;
      }
      if (c.hostBitsSet) {
        err(path, `${g.network.cidr} has host bits set (network is ${formatIpv4(c.network)}/${c.prefix})`);
      }
      const room = usableHosts(c);
      if (g.count > room) {
        err(path, `${g.network.cidr} has room for ${room} miners but the group has ${g.count}`);
        return;
      }
      const first = firstHost(c);
      ranges.push({ first, last: first + g.count - 1, path, label: `blocks[${i}].miners[${k}]` });
    }),
  );
  const sorted = [...ranges].sort((a, b) => a.first - b.first);
  for (let j = 1; j < sorted.length; j++) {
    const prev = sorted[j - 1]!;
    const cur = sorted[j]!;
    if (cur.first <= prev.last) {
      // Report on the later group in file order so the message points where the edit goes.
      const [later, earlier] = ranges.indexOf(cur) > ranges.indexOf(prev) ? [cur, prev] : [prev, cur];
      err(
        later.path,
        `addresses ${formatIpv4(later.first)}–${formatIpv4(later.last)} overlap ${earlier.label} ` +
          `(${formatIpv4(earlier.first)}–${formatIpv4(earlier.last)})`,
      );
    }
  }
}

function checkImport(site: SiteFile, err: Report, warn: Report): void {
  const limit = site.site.importLimitMw;
  const total = site.blocks.reduce((s, b) => s + b.capacityMw, 0);
  // Contracted AI load is firm: if it alone exceeds the import limit the lease cannot be served.
  const ai = site.blocks.filter((b) => b.state === 'ai').reduce((s, b) => s + b.capacityMw, 0);
  if (ai > limit) err(['site', 'importLimitMw'], `blocks in state ai total ${round(ai)} MW, above importLimitMw ${limit}`);
  // Oversubscribing the import with curtailable mining is a normal design choice; say so once.
  else if (total > limit) {
    warn(['site', 'importLimitMw'], `block capacities total ${round(total)} MW, ${round(total / limit, 2)}× importLimitMw ${limit}: the scheduler must curtail to fit`);
  }
}

function checkContracts(site: SiteFile, catalogs: Catalogs, err: Report, warn: Report): void {
  site.contracts.forEach((c, i) => {
    const serving = site.blocks.filter((b) => b.contractId === c.id && b.state === 'ai');
    if (c.kind === 'colocation') {
      const itMw = serving.reduce((s, b) => s + b.capacityMw / b.overheadFactor, 0);
      if (itMw + 1e-9 < c.criticalItMw) {
        warn(['contracts', i, 'criticalItMw'], `leases ${c.criticalItMw} MW critical IT but its ai blocks host ${round(itMw)} MW`);
      }
    } else {
      if (!catalogs.gpus.has(c.gpuModel)) {
        err(['contracts', i, 'gpuModel'], `unknown GPU model "${c.gpuModel}" (catalog has ${[...catalogs.gpus.keys()].join(', ')})`);
        return;
      }
      const gpus = serving.flatMap((b) => b.gpus).filter((g) => g.model === c.gpuModel).reduce((s, g) => s + g.count, 0);
      if (gpus < c.gpuCount) warn(['contracts', i, 'gpuCount'], `contracts ${c.gpuCount} ${c.gpuModel} GPUs but its ai blocks hold ${gpus}`);
    }
  });
}

function checkMeters(site: SiteFile, blockIds: ReadonlySet<string>, err: Report, warn: Report): void {
  const endpoints = new Map<string, number>();
  site.meters.forEach((m, i) => {
    if (m.blockId !== undefined && !blockIds.has(m.blockId)) err(['meters', i, 'blockId'], `no block with id "${m.blockId}"`);
    if (m.role === 'block' && m.blockId === undefined) err(['meters', i, 'role'], 'a block meter needs a blockId');
    const key = `${m.host}:${m.port}/${m.unitId}`;
    const seen = endpoints.get(key);
    if (seen !== undefined) err(['meters', i, 'unitId'], `meters[${seen}] already reads ${key}: two meters cannot share one Modbus unit`);
    else endpoints.set(key, i);
  });
  if (site.meters.length > 0 && !site.meters.some((m) => m.role === 'revenue')) {
    warn(['meters'], 'no revenue meter: curtailment proof and settlement need one');
  }
}

/**
 * SNMP devices and GPU hosts. Profile names are checked by the agent when it starts (it loads
 * every profile before polling): the profiles are agent files, and this check stays pure.
 */
function checkAgentDevices(site: SiteFile, blockIds: ReadonlySet<string>, err: Report, warn: Report): void {
  // The agent keys state by device id, so an SNMP device or GPU host may not reuse a meter's id.
  const owner = new Map<string, string>(site.meters.map((m, i) => [m.id, `meters[${i}]`]));
  const claim = (id: string, path: Path, label: string) => {
    const other = owner.get(id);
    if (other !== undefined && other.split('[')[0] !== label.split('[')[0]) err(path, `device id "${id}" is also used by ${other}`);
    else if (other === undefined) owner.set(id, label);
  };
  site.snmpDevices.forEach((d, i) => {
    claim(d.id, ['snmpDevices', i, 'id'], `snmpDevices[${i}]`);
    if (d.blockId !== undefined && !blockIds.has(d.blockId)) err(['snmpDevices', i, 'blockId'], `no block with id "${d.blockId}"`);
    if (d.version === '3' && d.v3 === undefined) err(['snmpDevices', i, 'version'], 'SNMP version 3 needs v3 settings (user, authProtocol, authKey, privProtocol, privKey)');
    if (d.version === '2c' && d.v3 !== undefined) err(['snmpDevices', i, 'v3'], 'v3 settings on a version 2c device (set version: "3" or remove v3)');
    if (d.version === '3' && d.community !== undefined) warn(['snmpDevices', i, 'community'], 'community is ignored with SNMP version 3');
  });
  const hosts = new Map<string, number>();
  site.gpuHosts.forEach((h, i) => {
    claim(h.id, ['gpuHosts', i, 'id'], `gpuHosts[${i}]`);
    if (!blockIds.has(h.blockId)) err(['gpuHosts', i, 'blockId'], `no block with id "${h.blockId}"`);
    const seen = hosts.get(h.host);
    if (seen !== undefined) err(['gpuHosts', i, 'host'], `gpuHosts[${seen}] already names host "${h.host}": its GPUs would be reported twice`);
    else hosts.set(h.host, i);
  });
}

/** Every assigned id exists and is assigned once; what no agent holds is said (its readings are refused). */
function checkAgentAssignment(site: SiteFile, err: Report, warn: Report): void {
  if (site.agents === undefined) return;
  uniqueIds('agents', site.agents, 'agent', err);
  const lists = [
    ['blocks', new Set(site.blocks.map((b) => b.id)), 'block'],
    ['meters', new Set(site.meters.map((m) => m.id)), 'meter'],
    ['snmpDevices', new Set(site.snmpDevices.map((d) => d.id)), 'SNMP device'],
    ['gpuHosts', new Set(site.gpuHosts.map((h) => h.id)), 'GPU host'],
  ] as const;
  const held = new Map<string, string>();
  for (const [key, known, what] of lists) {
    site.agents.forEach((a, i) => {
      a[key].forEach((id, j) => {
        const other = held.get(`${key}:${id}`);
        if (!known.has(id)) err(['agents', i, key, j], `no ${what} with id "${id}"`);
        else if (other !== undefined) err(['agents', i, key, j], `${what} "${id}" is already assigned to agent "${other}"`);
        else held.set(`${key}:${id}`, a.id);
      });
    });
  }
  const blockHeld = (blockId: string | undefined) => blockId !== undefined && held.has(`blocks:${blockId}`);
  site.blocks.forEach((b, i) => {
    if (!blockHeld(b.id)) warn(['blocks', i, 'id'], `no agent in "agents" holds block "${b.id}": readings of its devices will be refused`);
  });
  site.meters.forEach((m, i) => {
    if (!held.has(`meters:${m.id}`) && !blockHeld(m.blockId)) warn(['meters', i, 'id'], `no agent in "agents" holds meter "${m.id}": its readings will be refused`);
  });
  site.snmpDevices.forEach((d, i) => {
    if (!held.has(`snmpDevices:${d.id}`) && !blockHeld(d.blockId)) warn(['snmpDevices', i, 'id'], `no agent in "agents" holds SNMP device "${d.id}": its readings will be refused`);
  });
}

function checkDebt(site: SiteFile, err: Report): void {
  site.debt.forEach((d, i) => {
    // ISO dates (validated by the schema) compare correctly as strings.
    if (d.maturityDate <= d.issueDate) err(['debt', i, 'maturityDate'], `maturityDate ${d.maturityDate} is not after issueDate ${d.issueDate}`);
    if (d.kind === 'convertible-note' && d.conversionPriceUsd === undefined) {
      err(['debt', i, 'kind'], 'a convertible note needs conversionPriceUsd');
    }
    if (d.kind === 'btc-backed-loan') {
      if (d.btcPledged === undefined) err(['debt', i, 'kind'], 'a BTC-backed loan needs btcPledged');
      if (d.marginCallLtvPct === undefined) err(['debt', i, 'kind'], 'a BTC-backed loan needs marginCallLtvPct');
    }
  });
}

function mw(w: number): number {
  return round(w / MW, 3);
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
