/**
 * IPC between `switchyard start` and its children. The parent sends `start` once, then maybe
 * `stop`; the child answers `ready` (with what the parent needs next) or `failed`.
 * Messages go over Node's IPC channel with structured-clone serialisation.
 */
export type ParentMessage = { type: 'start'; config: unknown } | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; payload: unknown }
  | { type: 'failed'; error: string }
  | { type: 'stats'; payload: unknown };

/** Shared by the children: wires start/stop to the parent, exits when the parent goes away. */
export function serveChild<Config, Running extends { stop(): Promise<void> }>(
  name: string,
  start: (config: Config) => Promise<{ running: Running; ready: unknown }>,
): void {
  if (!process.send) throw new Error(`${name} must be started by switchyard start (no IPC channel)`);
  const send = (msg: ChildMessage) => process.send?.(msg);
  let running: Running | null = null;
  let stopping = false;

  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    try {
      await running?.stop();
    } catch (err) {
      process.stderr.write(`${name}: stopping after ${why} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
    process.disconnect?.();
    process.exit();
  };

  process.on('message', (raw) => {
    const msg = raw as ParentMessage;
    if (msg.type === 'stop') void stop('stop message');
    else if (msg.type === 'start') {
      start(msg.config as Config).then(
        (r) => {
          running = r.running;
          send({ type: 'ready', payload: r.ready });
        },
        (err: unknown) => {
          send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
          process.exitCode = 1;
          process.disconnect?.();
          setTimeout(() => process.exit(1), 100).unref();
        },
      );
    }
  });
  // The parent died or closed the channel: nothing would ever stop us.
  process.on('disconnect', () => void stop('parent disconnect'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Ctrl-C reaches the whole process group; the parent decides when children stop.
  process.on('SIGINT', () => undefined);
}
