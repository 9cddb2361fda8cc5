import dgram from 'node:dgram';
import snmp from 'net-snmp';
import type { OutletControl } from '../../agents/drivers/snmp/profile.ts';
import { wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';

/**
 * A switched PDU of the twin: an SNMP agent (net-snmp) on 127.0.0.1 serving the outlet
 * control table of the PDU's profile — the on/off command column(s) read-write, the state
 * column read back from the outlets as they are. A SET that switches an outlet calls
 * `onSwitch`, which cuts or restores the miners behind it.
 */
export interface PduAgentOptions {
  /** 0: a free port. */
  port: number;
  community: string;
  control: OutletControl;
  outlets: readonly number[];
  isOn(outlet: number): boolean;
  onSwitch(outlet: number, on: boolean): void;
  log: Logger;
}

export interface PduAgent {
  port: number;
  close(): Promise<void>;
}

const splitOid = (oid: string): { entry: string; column: number } => {
  const at = oid.lastIndexOf('.');
  return { entry: oid.slice(0, at), column: Number(oid.slice(at + 1)) };
};

export async function startPduAgent(o: PduAgentOptions): Promise<PduAgent> {
  const c = o.control;
  const on = splitOid(c.on.oid);
  const off = splitOid(c.off.oid);
  const state = splitOid(c.state.oid);
  if (on.entry !== off.entry || on.entry !== state.entry) throw new Error(`outletControl columns ${c.on.oid}, ${c.off.oid}, ${c.state.oid} are not in one table`);
  const entry = on.entry;
  const columns = [...new Set([on.column, off.column, state.column])].sort((a, b) => a - b);
  // Index columns are not-accessible and never on the wire: numbers of their own keep them apart.
  const indexCols = [...c.indexPrefix, 0].map((_, i) => ({ number: 900 + i, name: `idx${i}`, type: snmp.ObjectType.Integer, maxAccess: snmp.MaxAccess['not-accessible'] }));
  const port = o.port === 0 ? await freeUdpPort() : o.port;
  const agent = snmp.createAgent({ port, address: '127.0.0.1', disableAuthorization: false, accessControlModelType: snmp.AccessControlModelType.None }, (err: Error | null) => {
    if (err) o.log.debug({ err: err.message }, 'twin PDU agent request error');
  });
  agent.getAuthorizer().addCommunity(o.community);
  const mib = agent.getMib();
  const name = 'outletControl';
  const stateValue = (outlet: number) => (o.isOn(outlet) ? c.state.on : c.state.off);
  mib.registerProvider({
    name,
    type: snmp.MibProviderType.Table,
    oid: entry,
    maxAccess: snmp.MaxAccess['not-accessible'],
    tableColumns: [
      ...indexCols,
      ...columns.map((n) => ({ number: n, name: `col${n}`, type: snmp.ObjectType.Integer, maxAccess: n === state.column && n !== on.column && n !== off.column ? snmp.MaxAccess['read-only'] : snmp.MaxAccess['read-write'] })),
    ],
    tableIndex: indexCols.map((ic) => ({ columnName: ic.name })),
    handler: (req: { oid: string; operation: number; setValue?: unknown; instanceNode: { value: unknown }; done(e?: { errorStatus: number }): void }) => {
      const arcs = req.oid.slice(entry.length + 1).split('.').map(Number);
      const column = arcs[0] as number;
      const outlet = arcs[arcs.length - 1] as number;
      if (req.operation === snmp.PduType.SetRequest) {
        const v = Number(req.setValue);
        if (column === on.column && v === c.on.value) o.onSwitch(outlet, true);
        else if (column === off.column && v === c.off.value) o.onSwitch(outlet, false);
        else {
          req.done({ errorStatus: snmp.ErrorStatus.WrongValue });
          return;
        }
      } else if (column === state.column) {
        req.instanceNode.value = stateValue(outlet);
      }
      req.done();
    },
  });
  for (const outlet of o.outlets) {
    const row: number[] = [...c.indexPrefix, outlet];
    for (const n of columns) row.push(n === state.column ? stateValue(outlet) : n === on.column ? c.on.value : c.off.value);
    mib.addTableRow(name, row);
  }
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        agent.close(() => resolve());
      }),
  };
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', (err) => reject(wrap('finding a free loopback UDP port for a twin PDU', err)));
    s.bind({ address: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
