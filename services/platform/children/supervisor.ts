import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../lib/log.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { ChildMessage, ParentMessage } from './protocol.ts';

/**
 * Runs one child process (the twin or the agent) and keeps it running: the child gets its
 * start message over IPC and answers `ready`; an exit we did not ask for is restarted with
 * exponential backoff (reset once a child has stayed up for a minute).
 */
export interface SupervisedOptions<Ready> {
  name: string;
  /** The child's module (a .ts file, run through tsx's loader). */
  module: URL;
  /** The start message, asked again before every (re)start. */
  startMessage: () => ParentMessage;
  /** Called with each `ready` payload, first start and restarts alike. */
  onReady?: (ready: Ready) => void;
  log: Logger;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
}

const TSX_LOADER = import.meta.resolve('tsx');
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const HEALTHY_AFTER_MS = 60_000;

export class Supervised<Ready> {
  private readonly opts: SupervisedOptions<Ready>;
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private backoffMs = BACKOFF_MIN_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private startedAt = 0;

  constructor(opts: SupervisedOptions<Ready>) {
    this.opts = opts;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  /** Starts the child; resolves with its first `ready` payload, rejects if it never gets there. */
  start(): Promise<Ready> {
    return this.spawn();
  }

  private spawn(): Promise<Ready> {
    const { name, log } = this.opts;
    const child = fork(fileURLToPath(this.opts.module), [], {
      execArgv: ['--import', TSX_LOADER],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, SWITCHYARD_CHILD: name },
      serialization: 'advanced',
    });
    this.child = child;
    this.startedAt = Date.now();
    log.info({ child: name, pid: child.pid }, `${name} starting`);

    return new Promise<Ready>((resolve, reject) => {
      let ready = false;
      const timeout = setTimeout(() => {
        if (ready) return;
        const err = new Error(`${name} did not report ready within ${this.readyTimeoutMs} ms`);
        log.error({ child: name, pid: child.pid }, err.message);
        child.kill('SIGKILL');
        reject(err);
      }, this.readyTimeoutMs);

      child.on('message', (raw) => {
        const msg = raw as ChildMessage;
        if (msg.type === 'ready') {
          ready = true;
          clearTimeout(timeout);
          log.info({ child: name, pid: child.pid, startMs: Date.now() - this.startedAt }, `${name} ready`);
          this.opts.onReady?.(msg.payload as Ready);
          resolve(msg.payload as Ready);
        } else if (msg.type === 'failed') {
          log.error({ child: name, pid: child.pid }, `${name} failed: ${msg.error}`);
          if (!ready) {
            clearTimeout(timeout);
            reject(new Error(`${name} failed to start: ${msg.error}`));
          }
        }
      });
      child.on('error', (err) => {
        log.error({ child: name, err }, `${name} process error: ${errorMessage(err)}`);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timeout);
        if (this.child === child) this.child = null;
        if (this.stopping) return;
        if (!ready) {
          reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
          return;
        }
        if (Date.now() - this.startedAt >= HEALTHY_AFTER_MS) this.backoffMs = BACKOFF_MIN_MS;
        log.warn({ child: name, code, signal, restartInMs: this.backoffMs }, `${name} exited unexpectedly; restarting`);
        this.scheduleRestart();
      });

      child.send(this.opts.startMessage());
    });
  }

  /** Restarts after the current backoff; a restart that fails before ready backs off further. */
  private scheduleRestart(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restarts++;
      this.spawn().catch((err: unknown) => {
        this.opts.log.error({ child: this.opts.name, retryInMs: this.backoffMs }, `${this.opts.name} restart failed: ${errorMessage(err)}`);
        if (!this.stopping && !this.child) this.scheduleRestart();
      });
    }, delay);
  }

  private get readyTimeoutMs(): number {
    return this.opts.readyTimeoutMs ?? 180_000;
  }

  /**
   * From now on an exit is expected, not restarted. Called for every child before any is
   * stopped, since a signal sent to the whole process group reaches the children first.
   */
  expectExit(): void {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
  }

  /** Asks the child to stop, then kills it if it has not exited in time. */
  async stop(): Promise<void> {
    this.expectExit();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const { name, log } = this.opts;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
    else child.kill('SIGTERM');
    const timer = setTimeout(() => {
      log.warn({ child: name, pid: child.pid }, `${name} did not stop in time; killing it`);
      child.kill('SIGKILL');
    }, this.opts.stopTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(timer);
    log.info({ child: name, pid: child.pid }, `${name} stopped`);
  }
}
