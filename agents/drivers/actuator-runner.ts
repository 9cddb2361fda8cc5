import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import type { DeviceAck } from '../../services/agent-contract/protocol.ts';
import type { Actuators, RelayModule, SwitchedPdu } from '../../services/domain/actuator-schema.ts';
import { channelId } from '../../services/domain/actuators.ts';
import { errorMessage } from '../../services/lib/errors.ts';
import { CoilConnection } from './modbus/coils.ts';
import { loadRelayProfile, type RelayProfile } from './modbus/relay-profile.ts';
import { loadProfile, type OutletControl } from './snmp/profile.ts';
import { SnmpClient } from './snmp/session.ts';

/**
 * Runs coarse-actuator commands (power-off / power-on of a PDU outlet or relay coil): the
 * fewest requests the hardware allows — one SNMP SET for up to `maxOutletsPerSet` outlets of a
 * PDU, one Modbus Write Multiple Coils for a relay module's coils (a read first when the coils
 * are not contiguous, so the coils in between keep their state). Actuators run in parallel;
 * the requests to one actuator go one after another. One ack per command, always: a request
 * that fails fails every outlet or coil in it, with the reason.
 */

export interface ActuatorRunOptions {
  deviceTimeoutMs: number;
  attempts: number;
  onAck?: (ack: DeviceAck) => void;
}

export interface ActuatorRunnerOptions {
  actuators: Actuators;
  /** Where SNMP profiles are looked up (default agents/profiles/snmp). */
  snmpProfileDir?: string;
  retryPauseMs?: number;
  now?: () => number;
}

export const isActuatorCommand = (c: DeviceCommand): boolean => c.action === 'power-off' || c.action === 'power-on';

interface PduTarget {
  kind: 'pdu';
  pdu: SwitchedPdu;
  control: OutletControl;
  client?: SnmpClient;
  clientTimeoutMs?: number;
}

interface RelayTarget {
  kind: 'relay';
  relay: RelayModule;
  profile: RelayProfile;
  conn: CoilConnection;
}

interface ChannelRef {
  target: PduTarget | RelayTarget;
  index: number;
}

/** Requests sent so far, by kind (the bench reports them). */
export interface ActuatorRunnerStats {
  snmpSets: number;
  coilWrites: number;
  coilReads: number;
}

export class ActuatorRunner {
  private readonly channels = new Map<string, ChannelRef>();
  private readonly now: () => number;
  readonly stats: ActuatorRunnerStats = { snmpSets: 0, coilWrites: 0, coilReads: 0 };

  constructor(private readonly o: ActuatorRunnerOptions) {
    this.now = o.now ?? Date.now;
    const profiles = new Map<string, OutletControl>();
    for (const pdu of o.actuators.pdus) {
      let control = profiles.get(pdu.profile);
      if (control === undefined) {
        const profile = o.snmpProfileDir === undefined ? loadProfile(pdu.profile) : loadProfile(pdu.profile, o.snmpProfileDir);
        if (profile.outletControl === undefined) throw new Error(`PDU ${pdu.id}: SNMP profile ${pdu.profile} has no outletControl (switched outlets)`);
        control = profile.outletControl;
        profiles.set(pdu.profile, control);
      }
      const target: PduTarget = { kind: 'pdu', pdu, control };
      for (const o of pdu.outlets) this.channels.set(channelId(pdu.id, 'pdu', o.outlet), { target, index: o.outlet });
    }
    const relayProfiles = new Map<string, RelayProfile>();
    const conns = new Map<string, CoilConnection>();
    for (const relay of o.actuators.relays) {
      let profile = relayProfiles.get(relay.profile);
      if (profile === undefined) relayProfiles.set(relay.profile, (profile = loadRelayProfile(relay.profile)));
      // Modules behind one gateway (host:port, unit ids) share its connection.
      const key = `${relay.host}:${relay.port}`;
      let conn = conns.get(key);
      if (conn === undefined) conns.set(key, (conn = new CoilConnection(relay.host, relay.port)));
      const target: RelayTarget = { kind: 'relay', relay, profile, conn };
      for (const c of relay.coils) this.channels.set(channelId(relay.id, 'relay', c.coil), { target, index: c.coil });
    }
  }

  has(deviceId: string): boolean {
    return this.channels.has(deviceId);
  }

  async run(commands: readonly DeviceCommand[], opts: ActuatorRunOptions): Promise<DeviceAck[]> {
    const acks = new Map<DeviceCommand, DeviceAck>();
    const ack = (c: DeviceCommand, a: DeviceAck) => {
      acks.set(c, a);
      opts.onAck?.(a);
    };
    // Per actuator and action, in the order given.
    const groups = new Map<PduTarget | RelayTarget, Map<'power-off' | 'power-on', { c: DeviceCommand; index: number }[]>>();
    for (const c of commands) {
      const ref = this.channels.get(c.deviceId);
      if (ref === undefined || !isActuatorCommand(c)) {
        ack(c, { deviceId: c.deviceId, ok: false, atMs: this.now(), tries: 1, error: `${c.action} on ${c.deviceId}: no such PDU outlet or relay coil in this agent's configuration` });
        continue;
      }
      let byAction = groups.get(ref.target);
      if (byAction === undefined) groups.set(ref.target, (byAction = new Map()));
      const action = c.action as 'power-off' | 'power-on';
      let list = byAction.get(action);
      if (list === undefined) byAction.set(action, (list = []));
      list.push({ c, index: ref.index });
    }
    await Promise.all(
      [...groups].map(async ([target, byAction]) => {
        for (const [action, items] of byAction) {
          const chunks = target.kind === 'pdu' ? chunk(items, target.control.maxOutletsPerSet) : chunk(items, target.profile.maxCoilsPerWrite);
          for (const part of chunks) {
            const { ok, tries, error } = await this.withRetries(opts, () => (target.kind === 'pdu' ? this.switchOutlets(target, action, part.map((p) => p.index), opts.deviceTimeoutMs) : this.switchCoils(target, action, part.map((p) => p.index), opts.deviceTimeoutMs)));
            const atMs = this.now();
            for (const p of part) ack(p.c, { deviceId: p.c.deviceId, ok, atMs, tries, ...(error === undefined ? {} : { error: `${action} on ${p.c.deviceId}: ${error}`.slice(0, 2000) }) });
          }
        }
      }),
    );
    return commands.map((c) => acks.get(c) as DeviceAck);
  }

  close(): void {
    for (const ref of this.channels.values()) {
      if (ref.target.kind === 'pdu') ref.target.client?.close();
      else ref.target.conn.close();
    }
  }

  private async withRetries(opts: ActuatorRunOptions, work: () => Promise<void>): Promise<{ ok: boolean; tries: number; error?: string }> {
    let error = '';
    for (let tries = 1; tries <= opts.attempts; tries++) {
      try {
        await work();
        return { ok: true, tries };
      } catch (err) {
        error = errorMessage(err);
        if (tries < opts.attempts) await new Promise((r) => setTimeout(r, this.o.retryPauseMs ?? 100));
      }
    }
    return { ok: false, tries: opts.attempts, error };
  }

  /** One SET with a varbind per outlet (the write is idempotent: on stays on). */
  private async switchOutlets(t: PduTarget, action: 'power-off' | 'power-on', outlets: readonly number[], timeoutMs: number): Promise<void> {
    const write = action === 'power-on' ? t.control.on : t.control.off;
    const prefix = t.control.indexPrefix.map((n) => `.${n}`).join('');
    const client = this.snmpClient(t, timeoutMs);
    this.stats.snmpSets++;
    await client.setIntegers(outlets.map((n) => ({ oid: `${write.oid}${prefix}.${n}`, value: write.value })));
  }

  private snmpClient(t: PduTarget, timeoutMs: number): SnmpClient {
    if (t.client !== undefined && t.clientTimeoutMs === timeoutMs) return t.client;
    t.client?.close();
    const { pdu } = t;
    // Our own retries (attempts) replace net-snmp's: one try per attempt, under the deadline.
    t.client = new SnmpClient({ host: pdu.host, port: pdu.port, community: pdu.community ?? 'private', ...(pdu.version === '3' && pdu.v3 ? { v3: pdu.v3 } : {}), timeoutMs, retries: 0 });
    t.clientTimeoutMs = timeoutMs;
    return t.client;
  }

  /**
   * One FC15 over the span of the coils switched. When other coils lie inside the span, their
   * states are read first (FC1) and written back unchanged.
   */
  private async switchCoils(t: RelayTarget, action: 'power-off' | 'power-on', coils: readonly number[], timeoutMs: number): Promise<void> {
    const value = action === 'power-on' ? t.profile.onValue : !t.profile.onValue;
    const wire = [...new Set(coils.map((c) => c - t.profile.addressBase))].sort((a, b) => a - b);
    const start = wire[0] as number;
    const count = (wire[wire.length - 1] as number) - start + 1;
    let states: boolean[];
    if (count === wire.length) {
      states = new Array<boolean>(count).fill(value);
    } else {
      this.stats.coilReads++;
      states = await t.conn.readCoils(t.relay.unitId, start, count, timeoutMs);
      for (const w of wire) states[w - start] = value;
    }
    this.stats.coilWrites++;
    await t.conn.writeCoils(t.relay.unitId, start, states, timeoutMs);
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
