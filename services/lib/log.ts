import { pino, type Logger } from 'pino';

/** One logger for the process; components take a child with their name. */
const root: Logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { pid: process.pid },
});

export type { Logger };

export function logger(component: string): Logger {
  return root.child({ component });
}
