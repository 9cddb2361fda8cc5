import { isAddrInUse } from '../../services/lib/addr-in-use.ts';
import { asicCatalog, gpuCatalog } from '../../services/domain/catalog.ts';
import { isLoopbackIpv4, meterDevices, minerDevices, type MeterDevice, type MinerDevice } from '../../services/domain/devices.ts';
import { parseIpv4 } from '../../services/domain/ipv4.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import { ContextError, wrap } from '../../services/lib/errors.ts';
import { logger, type Logger } from '../../services/lib/log.ts';
import { blockAiPowerW } from './ai-hall.ts';
import { startAntminerWeb, type AntminerWeb, type AntminerWebCounts } from './antminer-web.ts';
import { startCgminerServer, type CgminerServer, type MinerEndpoint } from './cgminer-server.ts';
import { RegisterImage, writePm5340 } from './meter-registers.ts';
import { startMeterGateway, type MeterGateway } from './meter-server.ts';
import { VirtualMiner } from './miner.ts';
import { jitter, seedOf } from './noise.ts';
import type { TwinSecrets } from './twin-secrets.ts';
import { startTwinActuators, type TwinActuators } from './twin-actuators.ts';

/**
 * The site twin: every miner of a site file as a virtual ASIC answering the cgminer API on
 * its own loopback address, and every meter behind one Modbus TCP gateway, with power that
 * follows the miners, the AI hall and the facility overhead.
 */
export interface TwinOptions {
  /** One port for every miner (0: random). Default: each group's configured port. */
  minerPort?: number;
  /** Port of the meter gateway (0: random). Default: the first meter's configured port. */
  meterPort?: number;
  clock?: () => number;
  /** How often site and block loads, meter registers and energy counters are updated. */
  tickMs?: number;
  /** Site auxiliary load outside the blocks (offices, substation, controls), W. */
  auxLoadW?: number;
  nominalFrequencyHz?: number;
  log?: Logger;
  /** Port of the web UI listener for stock-firmware Antminers (0: random, the default). */
  antminerWebPort?: number;
  /** Credentials the miners expect (default: the firmware defaults). */
  secrets?: TwinSecrets;
  /** Ports of the switched PDUs by id and of the relay gateway ("relays"), as an earlier start bound them. */
  actuatorPorts?: Record<string, number>;
}

export type TwinMiner = MinerEndpoint;

export interface Twin {
  /** With the ports actually bound. */
  miners: MinerDevice[];
  meters: MeterDevice[];
  minerById(id: string): TwinMiner | undefined;
  /** At the revenue meter: every block's load plus the auxiliary load, W (last tick). */
  siteLoadW(): number;
  /** At the block's meter: its IT load × overhead factor, W (last tick). */
  blockLoadW(blockId: string): number;
  /** The block's GPU IT load without overhead, W (last tick). */
  blockAiLoadW(blockId: string): number;
  readonly auxLoadW: number;
  /** The Antminer web UI port (sleep/wake of stock firmware); undefined without such miners. */
  readonly antminerWebPort: number | undefined;
  /** The switched PDUs and relays (SNMP agents, Modbus coil gateway), when the site file has any. */
  readonly actuators: TwinActuators | undefined;
  /** What the Antminer web UI has served; undefined without such miners. */
  antminerWebCounts(): AntminerWebCounts | undefined;
  /** Recomputes loads and meter registers now instead of waiting for the next tick. */
  refresh(): void;
  stop(): Promise<void>;
}

interface BlockState {
  overheadFactor: number;
  miners: VirtualMiner[];
  aiW: number;
  loadW: number;
}

interface MeterUnit {
  device: MeterDevice;
  image: RegisterImage;
  energyWh: number;
  lastPowerW: number | undefined;
  seed: number;
}

const REVENUE_VOLTAGE_LL_V = 34_500;
const BLOCK_VOLTAGE_LL_V = 13_800;

export class TwinError extends ContextError {
  constructor(message: string) {
    super('E_TWIN', message);
    this.name = 'TwinError';
  }
}

export async function startTwin(site: SiteFile, opts: TwinOptions = {}): Promise<Twin> {
  const clock = opts.clock ?? Date.now;
  const log = opts.log ?? logger('site-twin');
  const tickMs = opts.tickMs ?? 500;
  const nominalHz = opts.nominalFrequencyHz ?? 60;
  const auxLoadW = opts.auxLoadW ?? 0.003 * site.blocks.reduce((sum, b) => sum + b.capacityMw * 1e6, 0);
  const asics = asicCatalog();
  const gpus = gpuCatalog();
  const startMs = clock();

  const configured = minerDevices(site);
  const blocks = new Map<string, BlockState>();
  for (const b of site.blocks) blocks.set(b.id, { overheadFactor: b.overheadFactor, miners: [], aiW: 0, loadW: 0 });
  const byId = new Map<string, TwinMiner>();
  const antminersByHost = new Map<string, TwinMiner>();
  // Miners grouped by the port they are configured on: one listener per distinct port.
  const byPort = new Map<number, Map<string, TwinMiner>>();
  for (const device of configured) {
    if (!isLoopbackIpv4(parseIpv4(device.host))) {
      throw new TwinError(`miner ${device.id} at ${device.host}: the twin serves loopback addresses only (use a CIDR in 127.0.0.0/8)`);
    }
    const model = asics.get(device.model);
    if (model === undefined) throw new TwinError(`miner ${device.id}: ASIC model "${device.model}" is not in the catalog`);
    const block = blocks.get(device.blockId) as BlockState;
    const state = site.blocks.find((b) => b.id === device.blockId)?.state;
    const miner = new VirtualMiner(model, { seed: seedOf(device.id), nowMs: startMs, mode: state === 'mining' ? 'mining' : 'sleeping' });
    block.miners.push(miner);
    const endpoint: TwinMiner = { device, miner };
    byId.set(device.id, endpoint);
    if (device.firmware === 'antminer') antminersByHost.set(device.host, endpoint);
    const port = opts.minerPort ?? device.port;
    let hosts = byPort.get(port);
    if (hosts === undefined) byPort.set(port, (hosts = new Map()));
    hosts.set(device.host, endpoint);
  }

  for (const block of site.blocks) {
    for (const group of block.gpus) {
      if (!gpus.has(group.model)) throw new TwinError(`block ${block.id}: GPU model "${group.model}" is not in the GPU catalog`);
    }
  }

  const servers: CgminerServer[] = [];
  const meterUnits = new Map<number, MeterUnit>();
  let gateway: MeterGateway | undefined;
  let web: AntminerWeb | undefined;
  let actuators: TwinActuators | undefined;
  const stopServers = async () => {
    const closing: Array<Promise<void>> = servers.map((s) => s.close());
    if (actuators !== undefined) closing.push(actuators.close());
    if (gateway !== undefined) closing.push(gateway.close());
    if (web !== undefined) closing.push(web.close());
    await Promise.all(closing);
  };
  // A guest on the machine: a port that only the site file asked for (not the caller) and
  // that something else holds — a second platform's twin, most likely — is swapped for a free
  // one; the agent is given the ports as bound. A port the caller set must be had or fail.
  const guestListen = async <T extends { port: number }>(what: string, port: number, explicit: boolean, start: (port: number) => Promise<T>): Promise<T> => {
    try {
      return await start(port);
    } catch (err) {
      if (explicit || port === 0 || !isAddrInUse(err)) throw err;
      const bound = await start(0);
      log.warn({ configuredPort: port, port: bound.port }, `${what}: port ${port} is in use (another Switchyard on this machine?); listening on port ${bound.port} instead`);
      return bound;
    }
  };
  try {
    for (const [port, hosts] of byPort) {
      const server = await guestListen('twin miners', port, opts.minerPort !== undefined, (p) =>
        startCgminerServer({ port: p, hosts: [...hosts.keys()], lookup: (address) => hosts.get(address), clock, log, ...(opts.secrets === undefined ? {} : { secrets: opts.secrets }) }),
      );
      servers.push(server);
      for (const endpoint of hosts.values()) endpoint.device.port = server.port;
    }
    if (antminersByHost.size > 0) {
      web = await startAntminerWeb({ port: opts.antminerWebPort ?? 0, hosts: [...antminersByHost.keys()], lookup: (a) => antminersByHost.get(a), clock, log, ...(opts.secrets === undefined ? {} : { secrets: opts.secrets }) });
      log.info({ port: web.port, miners: antminersByHost.size }, `Antminer web UI (sleep/wake, digest auth) on port ${web.port} of each Antminer's address`);
    }
    if (site.actuators !== undefined && site.actuators.pdus.length + site.actuators.relays.length > 0) {
      actuators = await startTwinActuators(site, new Set(byId.keys()), { miner: (id) => byId.get(id)?.miner, clock, log, ...(opts.actuatorPorts ? { ports: opts.actuatorPorts } : {}) });
      log.info({ pdus: actuators.actuators.pdus.length, relays: actuators.actuators.relays.length }, 'switched PDUs (SNMP) and relay modules (Modbus coils) up');
    }
    const configuredMeters = meterDevices(site);
    if (configuredMeters.length > 0) {
      const port = opts.meterPort ?? (configuredMeters[0] as MeterDevice).port;
      gateway = await guestListen('twin meter gateway', port, opts.meterPort !== undefined, (p) => startMeterGateway({ port: p, unit: (unitId) => meterUnits.get(unitId)?.image, log }));
      for (const device of configuredMeters) {
        if (meterUnits.has(device.unitId)) throw new TwinError(`meter ${device.id}: unit id ${device.unitId} is already used by another meter`);
        if (device.host !== '127.0.0.1') {
          log.warn({ meter: device.id, host: device.host }, 'twin serves every meter on 127.0.0.1');
        }
        device.host = '127.0.0.1';
        device.port = gateway.port;
        meterUnits.set(device.unitId, { device, image: new RegisterImage(), energyWh: 0, lastPowerW: undefined, seed: seedOf(device.id) });
      }
    }
  } catch (err) {
    await stopServers().catch((closeErr: unknown) => log.error({ err: closeErr }, 'closing twin listeners after a failed start'));
    throw wrap(`starting the site twin for ${site.site.id}`, err, 'E_TWIN');
  }

  let siteW = 0;
  let frequencyHz = nominalHz;
  let lastTickMs = startMs;
  const refresh = () => {
    const now = clock();
    siteW = auxLoadW;
    for (const block of site.blocks) {
      const state = blocks.get(block.id) as BlockState;
      let itW = 0;
      for (const m of state.miners) itW += m.powerAt(now);
      state.aiW = blockAiPowerW(block, site, gpus, now);
      state.loadW = (itW + state.aiW) * state.overheadFactor;
      siteW += state.loadW;
    }
    // Grid frequency: a mean-reverting walk of a few mHz around nominal.
    frequencyHz += 0.3 * (nominalHz - frequencyHz) + 0.004 * jitter(0xf7e9, now, Math.max(1, tickMs));
    const dtMs = Math.max(0, now - lastTickMs);
    lastTickMs = now;
    for (const unit of meterUnits.values()) {
      const powerW = unit.device.role === 'revenue' ? siteW : (blocks.get(unit.device.blockId as string)?.loadW ?? 0);
      // Trapezoid: the energy register integrates the power the meter saw between ticks.
      unit.energyWh += (((unit.lastPowerW ?? powerW) + powerW) / 2) * (dtMs / 3_600_000);
      unit.lastPowerW = powerW;
      writePm5340(unit.image, {
        powerW: powerW * (1 + 0.001 * jitter(unit.seed, now)),
        nominalVoltageLlV: unit.device.role === 'revenue' ? REVENUE_VOLTAGE_LL_V : BLOCK_VOLTAGE_LL_V,
        powerFactor: 0.99,
        frequencyHz: frequencyHz + 0.001 * jitter(unit.seed ^ 0xf, now),
        energyWh: unit.energyWh,
        seed: unit.seed,
        nowMs: now,
      });
    }
  };
  refresh();
  const timer = setInterval(() => {
    try {
      refresh();
    } catch (err) {
      log.error({ err }, 'site twin tick failed');
    }
  }, tickMs);
  timer.unref();

  let stopped: Promise<void> | undefined;
  const miners = configured;
  return {
    miners,
    meters: [...meterUnits.values()].map((u) => u.device),
    minerById: (id) => byId.get(id),
    siteLoadW: () => siteW,
    blockLoadW: (blockId) => blocks.get(blockId)?.loadW ?? 0,
    blockAiLoadW: (blockId) => blocks.get(blockId)?.aiW ?? 0,
    auxLoadW,
    antminerWebPort: web?.port,
    actuators,
    antminerWebCounts: () => web?.counts(),
    refresh,
    stop: () => {
      stopped ??= (async () => {
        clearInterval(timer);
        await stopServers();
      })();
      return stopped;
    },
  };
}
