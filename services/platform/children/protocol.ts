/**
 * IPC between `switchyard start` and its children. The parent sends `start` once, then maybe
 * `stop`; the child answers `ready` (with what the parent needs next) or `failed`.
 * Messages go over Node's IPC channel with structured-clone serialisation.
 */
import { errorMessage } from '../../lib/errors.ts';
import { logger } from '../../lib/log.ts';

export type ParentMessage = { type: 'start'; config: unknown } | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; payload: unknown }
  | { type: 'failed'; error: string }
  | { type: 'stats'; payload: unknown };

/**
 * Shared by the children: wires start/stop to the parent, exits when the parent goes away.
 * The parent may die at any moment (kill -9): then the IPC channel closes, and the child stops
 * what it runs (the agent spools what it has not sent) and exits with one clear log line.
 * Nothing is sent or disconnected on a closed channel, which Node reports by throwing
 * ERR_IPC_DISCONNECTED / ERR_IPC_CHANNEL_CLOSED from an 'error' event nobody listens to.
 */
export function serveChild<Config, Running extends { stop(): Promise<void> }>(
  name: string,
  start: (config: Config) => Promise<{ running: Running; ready: unknown }>,
): void {
  if (!process.send) throw new Error(`${name} must be started by switchyard start (no IPC channel)`);
  const log = logger(name);
  const send = (msg: ChildMessage) => {
    if (!process.connected) {
      log.warn({ message: msg.type }, `${name}: not sending ${msg.type} to the parent: the IPC channel is closed`);
      return;
    }
    process.send?.(msg, undefined, {}, (err: Error | null) => {
      if (err) log.warn({ err: errorMessage(err), message: msg.type }, `${name}: sending ${msg.type} to the parent failed`);
    });
  };
  let running: Running | null = null;
  let stopping = false;

  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    try {
      await running?.stop();
    } catch (err) {
      log.error({ err: errorMessage(err) }, `${name}: stopping after ${why} failed`);
      process.exitCode = 1;
    }
    log.info({ why, exitCode: process.exitCode ?? 0 }, `${name}: stopped after ${why}; exiting`);
    if (process.connected) process.disconnect();
    process.exit();
  };

  process.on('message', (raw) => {
    const msg = raw as ParentMessage;
    if (msg.type === 'stop') void stop('stop message');
    else if (msg.type === 'start') {
      start(msg.config as Config).then(
        (r) => {
          running = r.running;
          // The parent went away while we were starting: stop what just started.
          if (stopping) {
            void r.running.stop().catch((err: unknown) => log.error({ err: errorMessage(err) }, `${name}: stopping after a late start failed`));
            return;
          }
          send({ type: 'ready', payload: r.ready });
        },
        (err: unknown) => {
          send({ type: 'failed', error: errorMessage(err) });
          process.exitCode = 1;
          if (process.connected) process.disconnect();
          setTimeout(() => process.exit(1), 100).unref();
        },
      );
    }
  });
  // The parent died or closed the channel: nothing would ever stop us.
  process.on('disconnect', () => {
    if (!stopping) log.warn(`${name}: parent process gone (IPC channel closed); stopping`);
    void stop('parent disconnect');
  });
  // An IPC error (a write on a channel the parent just closed) is logged, never a crash.
  process.on('error', (err) => {
    log.warn({ err: errorMessage(err) }, `${name}: IPC error: ${errorMessage(err)}`);
    if (!process.connected) void stop('parent disconnect');
  });
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Ctrl-C reaches the whole process group; the parent decides when children stop.
  process.on('SIGINT', () => undefined);
}
