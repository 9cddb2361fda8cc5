import { destination, pino, type DestinationStream, type Logger } from 'pino';

/**
 * One logger for the process; components take a child with their name. Logs go to stdout,
 * except in a command whose stdout is data (--json, --csv): it calls logToStderr() first, so
 * a log line (a store migration at first open, say) never lands in the data.
 */
let toStderr = false;
let out: DestinationStream | undefined;
let err: DestinationStream | undefined;
const switchable: DestinationStream = {
  write(msg: string) {
    if (toStderr) (err ??= destination({ fd: 2, sync: true })).write(msg);
    else (out ??= destination({ fd: 1, sync: true })).write(msg);
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
