import { destination, pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * One logger for the process; components take a child with their name. Lines are JSON (for
 * journald, Loki, a file) unless a person is watching: on a terminal they are pretty-printed
 * by pino-pretty, in this thread (a synchronous stream, no worker). SWITCHYARD_LOG_FORMAT
 * (json | pretty) overrides the guess.
 *
 * Lines go to stdout, except in a command whose stdout is data (--json, --csv): it calls
 * logToStderr() first, so a log line (a store migration at first open, say) never lands in
 * the data.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTty: boolean = process.stdout.isTTY === true): 'json' | 'pretty' {
  const f = env.SWITCHYARD_LOG_FORMAT;
  if (f === 'json' || f === 'pretty') return f;
  if (f !== undefined && f !== '') throw new Error(`SWITCHYARD_LOG_FORMAT="${f}": expected json or pretty`);
  return isTty ? 'pretty' : 'json';
}

const options = {
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { pid: process.pid },
};
const format = logFormat();
const streamTo = (fd: 1 | 2): DestinationStream =>
  format === 'pretty'
    ? pretty({ colorize: (fd === 1 ? process.stdout : process.stderr).isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true, destination: fd })
    : destination({ fd, sync: true });

let toStderr = false;
const streams: Partial<Record<1 | 2, DestinationStream>> = {};
const switchable: DestinationStream = {
  write(msg: string) {
    const fd = toStderr ? 2 : 1;
    (streams[fd] ??= streamTo(fd)).write(msg);
  },
};
const root: Logger = pino(options, switchable);

export type { Logger };

export function logger(component: string): Logger {
  return root.child({ component });
}

/** Sends every log line of this process to stderr from now on (stdout carries data). */
export function logToStderr(): void {
  toStderr = true;
}
