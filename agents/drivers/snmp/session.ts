import snmp from 'net-snmp';
import { ContextError, errorMessage } from '../../../services/lib/errors.ts';
import type { Varbind } from './varbind.ts';

/**
 * SNMP I/O at the edge: one net-snmp session per target, v2c or v3 (authPriv), every call
 * under net-snmp's per-request timeout and retries plus an overall deadline of our own.
 */
export type AuthProtocol = 'sha' | 'sha256';
export type PrivProtocol = 'aes' | 'aes256';

export interface V3Credentials {
  user: string;
  authProtocol: AuthProtocol;
  authKey: string;
  privProtocol: PrivProtocol;
  privKey: string;
}

export interface SnmpTarget {
  host: string;
  port: number;
  /** v2c community; ignored when v3 is set. */
  community?: string;
  v3?: V3Credentials;
  /** Per request, before a retry. */
  timeoutMs?: number;
  retries?: number;
  /** GETBULK max-repetitions while walking a table column. */
  maxRepetitions?: number;
  /** Most OIDs in one GET PDU; larger sets are split. */
  maxOidsPerGet?: number;
}

export class SnmpError extends ContextError {
  constructor(code: 'E_SNMP_TIMEOUT' | 'E_SNMP_AUTH' | 'E_SNMP', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SnmpError';
  }
}

const AUTH = { sha: snmp.AuthProtocols.sha, sha256: snmp.AuthProtocols.sha256 } as const;
const PRIV = { aes: snmp.PrivProtocols.aes, aes256: snmp.PrivProtocols.aes256b } as const;

/** Parses "HOST:PORT" (port defaults to 161). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[2] === undefined ? 161 : Number(m[2]);
  if (!m || port < 1 || port > 65535) throw new Error(`"${text}" is not HOST:PORT`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

// An agent that cannot decrypt a v3 request (wrong priv key) drops it without a report, so
// for v3 a timeout may be a credentials problem; the message says so.
const V3_TIMEOUT_HINT = ' (SNMPv3: a wrong priv key also goes unanswered)';

function classify(err: unknown, doing: string, v3: boolean): SnmpError {
  const e = err as { name?: string; code?: number };
  if (e?.name === 'RequestTimedOutError') return new SnmpError('E_SNMP_TIMEOUT', `${doing}: no reply (timed out)${v3 ? V3_TIMEOUT_HINT : ''}`, { cause: err });
  if (e?.name === 'ResponseInvalidError' && (e.code === snmp.ResponseInvalidCode.EAuthFailure || e.code === snmp.ResponseInvalidCode.ECouldNotDecrypt)) {
    return new SnmpError('E_SNMP_AUTH', `${doing}: SNMPv3 authentication failed (${errorMessage(err)}): check the user, auth key and priv key`, { cause: err });
  }
  if (err instanceof SnmpError) return err;
  return new SnmpError('E_SNMP', `${doing}: ${errorMessage(err)}`, { cause: err });
}

export class SnmpClient {
  readonly label: string;
  private readonly session: snmp.Session;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxRepetitions: number;
  private readonly maxOidsPerGet: number;
  private closed = false;

  constructor(readonly target: SnmpTarget) {
    this.timeoutMs = target.timeoutMs ?? 2000;
    this.retries = target.retries ?? 1;
    this.maxRepetitions = target.maxRepetitions ?? 20;
    this.maxOidsPerGet = target.maxOidsPerGet ?? 32;
    this.label = `${target.host}:${target.port}`;
    const options = { port: target.port, timeout: this.timeoutMs, retries: this.retries, backoff: 1 };
    if (target.v3) {
      const v3 = target.v3;
      this.session = snmp.createV3Session(target.host, {
        name: v3.user,
        level: snmp.SecurityLevel.authPriv,
        authProtocol: AUTH[v3.authProtocol],
        authKey: v3.authKey,
        privProtocol: PRIV[v3.privProtocol],
        privKey: v3.privKey,
      }, { ...options, version: snmp.Version3 });
    } else {
      this.session = snmp.createSession(target.host, target.community ?? 'public', { ...options, version: snmp.Version2c });
    }
    // Socket errors also reach the request callbacks; this keeps an unhandled 'error' event
    // from crashing the process while the session is being closed.
    this.session.on('error', () => undefined);
  }

  /** The longest one request may take, retries included, before our own deadline fires. */
  get requestDeadlineMs(): number {
    return this.timeoutMs * (this.retries + 1) + 500;
  }

  /** GET of instance OIDs, split into PDUs of at most maxOidsPerGet; answers in request order. */
  async get(oids: readonly string[]): Promise<Varbind[]> {
    const out: Varbind[] = [];
    for (let i = 0; i < oids.length; i += this.maxOidsPerGet) {
      const chunk = oids.slice(i, i + this.maxOidsPerGet);
      out.push(...(await this.call(`get ${chunk[0]}${chunk.length > 1 ? ` (+${chunk.length - 1})` : ''}`, this.requestDeadlineMs, (done) => this.session.get([...chunk], done))));
    }
    return out;
  }

  /** One SET of integer values (outlet control): every OID in one PDU; answers as the agent echoes them. */
  setIntegers(values: readonly { oid: string; value: number }[]): Promise<Varbind[]> {
    const varbinds = values.map((v) => ({ oid: v.oid, type: snmp.ObjectType.Integer, value: v.value }));
    return this.call(`set ${values[0]?.oid ?? ''}${values.length > 1 ? ` (+${values.length - 1})` : ''}`, this.requestDeadlineMs, (done) => this.session.set(varbinds, done));
  }

  /** One GETBULK: nonRepeaters of the OIDs get one next value, the rest maxRepetitions. */
  getBulk(oids: readonly string[], nonRepeaters = 0, maxRepetitions = this.maxRepetitions): Promise<Varbind[]> {
    return this.call(`getbulk ${oids[0]}`, this.requestDeadlineMs, (done) =>
      this.session.getBulk([...oids], nonRepeaters, maxRepetitions, (err, varbinds) => done(err, (varbinds ?? []).flat())),
    );
  }

  /** Every varbind under `oid` (a table column), by GETBULK; deadline scales with rows read. */
  walk(oid: string, deadlineMs = this.requestDeadlineMs * 10): Promise<Varbind[]> {
    const rows: Varbind[] = [];
    return this.call(`walk ${oid}`, deadlineMs, (done) => {
      this.session.subtree(
        oid,
        this.maxRepetitions,
        (varbinds: snmp.Varbind[]) => {
          for (const vb of varbinds) rows.push(vb as unknown as Varbind);
        },
        (err: Error | null) => done(err, rows as unknown as snmp.Varbind[]),
      );
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
  }

  private call(doing: string, deadlineMs: number, start: (done: (err: Error | null, varbinds?: snmp.Varbind[]) => void) => void): Promise<Varbind[]> {
    const what = `${doing} at ${this.label}`;
    if (this.closed) return Promise.reject(new SnmpError('E_SNMP', `${what}: session closed`));
    return new Promise<Varbind[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SnmpError('E_SNMP_TIMEOUT', `${what}: no reply within ${deadlineMs} ms${this.target.v3 ? V3_TIMEOUT_HINT : ''}`)), deadlineMs);
      try {
        start((err, varbinds) => {
          clearTimeout(timer);
          if (err) reject(classify(err, what, this.target.v3 !== undefined));
          else resolve((varbinds ?? []) as unknown as Varbind[]);
        });
      } catch (err) {
        clearTimeout(timer);
        reject(classify(err, what, this.target.v3 !== undefined));
      }
    });
  }
}
