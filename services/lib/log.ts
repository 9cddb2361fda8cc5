import { destination, pino, type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

/**
 * One logger for the process; components take a child with their name. Logs go to stdout,
 * except in a command whose stdout is data (--json, --csv): it calls logToStderr() first, so
 * a log line (a store migration at first open, say) never lands in the data.
 *
 * Lines are JSON (for journald, Loki, a file) unless a person is watching: on a terminal they
 * are pretty-printed by pino-pretty's formatter, in this thread as each line is written (no
 * worker, no stream). SWITCHYARD_LOG_FORMAT (json | pretty) overrides the guess.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTty: boolean = process.stdout.isTTY === true): 'json' | 'pretty' {
  const f = env.SWITCHYARD_LOG_FORMAT;
  if (f === 'json' || f === 'pretty') return f;
  if (f !== undefined && f !== '') throw new Error(`SWITCHYARD_LOG_FORMAT="${f}": expected json or pretty`);
  return isTty ? 'pretty' : 'json';
}

const prettify =
  logFormat() === 'pretty' ? prettyFactory({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : null;

let toStderr = false;
let out: DestinationStream | undefined;
let err: DestinationStream | undefined;
const switchable: DestinationStream = {
  write(msg: string) {
    const line = prettify ? prettify(msg) : msg;
    if (toStderr) (err ??= destination({ fd: 2, sync: true })).write(line);
    else (out ??= destination({ fd: 1, sync: true })).write(line);
  },
};

const root: Logger = pino(
  {
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
    base: { pid: process.pid },
  },
  switchable,
);

export type { Logger };

export function logger(component: string): Logger {
  return root.child({ component });
}

/** Sends every log line of this process to stderr from now on (stdout carries data). */
export function logToStderr(): void {
  toStderr = true;
}
