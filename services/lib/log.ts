import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * One logger for the process; components take a child with their name. Lines are JSON (for
 * journald, Loki, a file) unless a person is watching: on a terminal they are pretty-printed
 * by pino-pretty, in this thread (a synchronous stream, no worker). SWITCHYARD_LOG_FORMAT
 * (json | pretty) overrides the guess.
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
const root: Logger =
  logFormat() === 'pretty'
    ? pino(options, pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }))
    : pino(options);

export type { Logger };

export function logger(component: string): Logger {
  return root.child({ component });
}
