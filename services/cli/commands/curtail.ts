import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ADMIN_TOKEN_FILE } from '../../api/auth/bootstrap.ts';
import { ContextError, errorMessage } from '../../lib/errors.ts';
import { numberOption } from '../args.ts';

interface CurtailOptions {
  targetMw?: number;
  shedMw?: number;
  for: number;
  reason: string;
  url: string;
  token?: string;
  tokenFile?: string;
  wait: number;
  json?: boolean;
}

interface EventView {
  id: string;
  status: string;
  baselineW: number | null;
  timeline: { kind: string; atMs: number; detail?: string }[];
  meterSamples: { atMs: number; loadW: number }[];
  devices: { outcome: string }[];
}

/**
 * `switchyard curtail`: asks the running control plane for an operator event, prints its id,
 * and follows it to meter confirmation (exit 0), or to failure, abort or the wait limit (exit 1).
 */
export function registerCurtail(program: Command): void {
  program
    .command('curtail')
    .description('start an operator curtailment event and follow it to meter confirmation')
    .option('--target-mw <MW>', 'site load to get down to, MW', numberOption('--target-mw'))
    .option('--shed-mw <MW>', 'load to remove, MW', numberOption('--shed-mw'))
    .requiredOption('--for <DURATION>', 'how long to hold it, e.g. 30m, 2h, 90s', duration)
    .option('--reason <TEXT>', 'why (kept in the event record)', 'operator request (switchyard curtail)')
    .option('--url <URL>', 'control plane URL', process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:8080')
    .option('--token <TOKEN>', 'operator or admin bearer token (default: SWITCHYARD_TOKEN, else the data dir admin.token)')
    .option('--token-file <FILE>', 'read the token from this file')
    .option('--wait <DURATION>', 'give up following after this long', duration, 120_000)
    .option('--json', 'print the final event record as JSON')
    .action(async (o: CurtailOptions) => {
      if ((o.targetMw === undefined) === (o.shedMw === undefined)) throw new InvalidArgumentError('give exactly one of --target-mw or --shed-mw');
      const token = o.token ?? process.env.SWITCHYARD_TOKEN ?? readToken(o.tokenFile ?? join(resolve(process.env.SWITCHYARD_DATA_DIR ?? 'data'), ADMIN_TOKEN_FILE));
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const body = { ...(o.targetMw !== undefined ? { targetMw: o.targetMw } : { shedMw: o.shedMw }), durationMs: o.for, reason: o.reason };
      const created = await call(`${o.url}/api/curtailment/events`, { method: 'POST', headers, body: JSON.stringify(body) });
      const { eventId } = created as { eventId: string };
      process.stdout.write(`${eventId}\n`);
      const t0 = Date.now();
      let last = '';
      for (;;) {
        const ev = (await call(`${o.url}/api/curtailment/events/${eventId}`, { headers })) as EventView;
        if (ev.status !== last) {
          last = ev.status;
          if (!o.json) process.stderr.write(`${new Date().toISOString()} ${ev.status}${statusDetail(ev)}\n`);
        }
        if (ev.status === 'meter-confirmed' || ev.status === 'restoring' || ev.status === 'done') {
          if (o.json) process.stdout.write(JSON.stringify(ev) + '\n');
          else process.stderr.write(summary(ev) + '\n');
          return;
        }
        if (ev.status === 'failed' || ev.status === 'aborted') throw new ContextError('E_EVENT', `event ${eventId} ${ev.status}${statusDetail(ev)}`);
        if (Date.now() - t0 > o.wait) throw new ContextError('E_EVENT_WAIT', `event ${eventId} not confirmed on the meter after ${o.wait / 1000} s (still ${ev.status})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });
}

function statusDetail(ev: EventView): string {
  const e = [...ev.timeline].reverse().find((x) => x.detail && x.kind !== 'ack');
  return e?.detail ? `: ${e.detail}` : '';
}

function summary(ev: EventView): string {
  const t = (k: string) => ev.timeline.find((e) => e.kind === k)?.atMs;
  const signal = t('signal-received')!;
  const acks = ev.timeline.filter((e) => e.kind === 'ack').map((e) => e.atMs);
  const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${((ms - signal) / 1000).toFixed(2)} s`);
  const last = ev.meterSamples[ev.meterSamples.length - 1];
  return [
    `signal → first command ${s(t('first-command'))}, last command ${s(t('last-command'))}, last ack ${s(acks.length ? Math.max(...acks) : undefined)}, meter confirmed ${s(t('meter-confirmed'))}`,
    `devices: ${ev.devices.filter((d) => d.outcome === 'acked').length} acked, ${ev.devices.filter((d) => d.outcome === 'failed').length} failed; meter ${last ? (last.loadW / 1e6).toFixed(3) : '?'} MW (baseline ${ev.baselineW === null ? '?' : (ev.baselineW / 1e6).toFixed(3)} MW)`,
  ].join('\n');
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new ContextError('E_CONNECT', `calling ${url}: ${errorMessage(err)} (is \`switchyard start\` running? --url)`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // Not JSON: the body is the message (a proxy's error page, say).
    }
    throw new ContextError('E_HTTP', `${init.method ?? 'GET'} ${url}: ${res.status} ${message}`);
  }
  return JSON.parse(text) as unknown;
}

function readToken(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ContextError('E_TOKEN', `no token given and ${path} cannot be read (${errorMessage(err)}): pass --token or --token-file`);
  }
}

export function duration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a duration like 90s, 30m or 2h`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}
