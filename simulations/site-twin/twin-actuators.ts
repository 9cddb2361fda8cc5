import { loadRelayProfile } from '../../agents/drivers/modbus/relay-profile.ts';
import { loadProfile } from '../../agents/drivers/snmp/profile.ts';
import type { Actuators } from '../../services/domain/actuator-schema.ts';
import { actuatorLayout, channelId, type ActuatorChannel } from '../../services/domain/actuators.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import type { Logger } from '../../services/lib/log.ts';
import type { VirtualMiner } from './miner.ts';
import { startPduAgent, type PduAgent } from './pdu-agent.ts';
import { startRelayGateway, type RelayGateway } from './relay-server.ts';

/**
 * The twin's coarse actuators: every switched PDU of the site file as an SNMP agent of its
 * own, every relay module behind one Modbus gateway. Opening an outlet or coil cuts the miners
 * behind it to 0 W (off, not asleep); closing it cold-boots them. Each switch-on is logged
 * with the nameplate power it brought back, so tests can check the inrush: the most nameplate
 * switched on at one actuator within any `INRUSH_WINDOW_MS`.
 */
export const INRUSH_WINDOW_MS = 500;

export interface TwinActuators {
  /** The site file's actuators as bound (127.0.0.1, the twin's ports). */
  actuators: Actuators;
  channelOn(channelId: string): boolean;
  /** Most nameplate W switched on at this actuator within INRUSH_WINDOW_MS (the inrush peak). */
  inrushPeakW(actuatorId: string): number;
  /** Every switch-on so far: when, which actuator, nameplate W. */
  switchOns(): readonly { atMs: number; actuatorId: string; nameplateW: number }[];
  close(): Promise<void>;
}

export interface TwinActuatorOptions {
  miner(id: string): VirtualMiner | undefined;
  clock: () => number;
  log: Logger;
  /** Ports as bound by an earlier start (a restarted twin keeps them), by actuator id; the relay gateway under "relays". */
  ports?: Record<string, number>;
}

export async function startTwinActuators(site: SiteFile, minerIds: ReadonlySet<string>, o: TwinActuatorOptions): Promise<TwinActuators> {
  const layout = actuatorLayout(site, minerIds);
  const on = new Map<string, boolean>(layout.channels.map((c) => [c.id, true]));
  const log: { atMs: number; actuatorId: string; nameplateW: number }[] = [];
  const switchChannel = (ch: ActuatorChannel, powerOn: boolean) => {
    const now = o.clock();
    on.set(ch.id, powerOn);
    let w = 0;
    for (const id of ch.minerIds) {
      const m = o.miner(id);
      if (m === undefined) continue;
      if (powerOn ? m.powerOn(now) : m.powerOff(now)) w += m.model.powerW;
    }
    if (powerOn && w > 0) log.push({ atMs: now, actuatorId: ch.actuatorId, nameplateW: w });
  };
  const agents: PduAgent[] = [];
  let gateway: RelayGateway | undefined;
  const bound: Actuators = { pdus: [], relays: [] };
  const closeAll = async () => {
    await Promise.all([...agents.map((a) => a.close()), ...(gateway ? [gateway.close()] : [])]);
  };
  try {
    for (const pdu of site.actuators?.pdus ?? []) {
      const control = loadProfile(pdu.profile).outletControl;
      if (control === undefined) throw new Error(`PDU ${pdu.id}: profile ${pdu.profile} has no outletControl`);
      const community = pdu.community ?? 'private';
      const agent = await startPduAgent({
        port: o.ports?.[pdu.id] ?? 0,
        community,
        control,
        outlets: pdu.outlets.map((x) => x.outlet),
        isOn: (outlet) => on.get(channelId(pdu.id, 'pdu', outlet)) ?? false,
        onSwitch: (outlet, powerOn) => {
          const ch = layout.byId.get(channelId(pdu.id, 'pdu', outlet));
          if (ch) switchChannel(ch, powerOn);
        },
        log: o.log,
      });
      agents.push(agent);
      // The twin speaks v2c only: a v3 PDU of the site file is served with its community.
      const { v3: _v3, ...rest } = pdu;
      bound.pdus.push({ ...rest, host: '127.0.0.1', port: agent.port, version: '2c', community });
    }
    const relays = site.actuators?.relays ?? [];
    if (relays.length > 0) {
      // A module has all its coils; those without miners behind them just hold their state.
      const units = new Map<number, { coils: Map<number, ActuatorChannel>; spare: boolean[]; onValue: boolean }>();
      for (const r of relays) {
        if (units.has(r.unitId)) throw new Error(`relay ${r.id}: unit id ${r.unitId} is already used by another relay module (the twin serves them behind one gateway)`);
        const profile = loadRelayProfile(r.profile);
        const coils = new Map<number, ActuatorChannel>();
        for (const c of r.coils) coils.set(c.coil - profile.addressBase, layout.byId.get(channelId(r.id, 'relay', c.coil)) as ActuatorChannel);
        for (const address of coils.keys()) if (address >= profile.coilCount) throw new Error(`relay ${r.id}: coil ${address + profile.addressBase} is past the module's ${profile.coilCount} coils`);
        units.set(r.unitId, { coils, spare: new Array<boolean>(profile.coilCount).fill(false), onValue: profile.onValue });
      }
      gateway = await startRelayGateway({
        port: o.ports?.relays ?? 0,
        log: o.log,
        unit: (unitId) => {
          const u = units.get(unitId);
          if (u === undefined) return undefined;
          return {
            coil: (address) => {
              const ch = u.coils.get(address);
              if (ch === undefined) return u.spare[address];
              return (on.get(ch.id) ?? false) === u.onValue;
            },
            write: (start, states) => {
              states.forEach((s, i) => {
                const ch = u.coils.get(start + i);
                if (ch === undefined) {
                  u.spare[start + i] = s;
                  return;
                }
                const powerOn = s === u.onValue;
                if ((on.get(ch.id) ?? false) !== powerOn) switchChannel(ch, powerOn);
              });
            },
          };
        },
      });
      for (const r of relays) bound.relays.push({ ...r, host: '127.0.0.1', port: gateway.port });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return {
    actuators: bound,
    channelOn: (id) => on.get(id) ?? false,
    inrushPeakW: (actuatorId) => {
      const mine = log.filter((e) => e.actuatorId === actuatorId);
      let peak = 0;
      for (let i = 0, j = 0, sum = 0; i < mine.length; i++) {
        sum += (mine[i] as (typeof mine)[number]).nameplateW;
        while ((mine[j] as (typeof mine)[number]).atMs <= (mine[i] as (typeof mine)[number]).atMs - INRUSH_WINDOW_MS) sum -= (mine[j++] as (typeof mine)[number]).nameplateW;
        peak = Math.max(peak, sum);
      }
      return peak;
    },
    switchOns: () => log,
    close: closeAll,
  };
}
