import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ContextError } from '../../services/lib/errors.ts';
import { simulatePaths } from './kernel.ts';
import { allocateResult, perPath, RESULT_ARRAYS, type CompiledModel, type PathBlockResult } from './model.ts';
import { PATHS_PER_STREAM } from './rng.ts';
import type { FromWorker, ToWorker } from './worker-body.ts';

/**
 * Runs `paths` paths of a compiled model on worker threads (one per core by default) in blocks
 * of CHUNK paths handed out as workers come free, and gathers them in path order: the result
 * is the same whatever the number of workers (each path's numbers depend only on the seed and
 * its index). `workers: 0` runs on the calling thread (tests, tiny runs).
 */

/** Paths per message to a worker: four streams (~100 ms of work for 5 years daily). */
const CHUNK_PATHS = PATHS_PER_STREAM * 4;

export interface RunOptions {
  paths: number;
  seed: number;
  /** Worker threads (default: one per core, less the calling thread when it works too). */
  workers?: number;
  /**
   * The calling thread also simulates blocks between worker messages (the CLI and the bench:
   * it would otherwise wait idle, and it covers the workers' start-up). Never in a server: a
   * block holds the event loop for ~100 ms.
   */
  mainThread?: boolean;
  /** Called after each block with paths done so far. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Every path's months, gathered: arrays laid out path-major (path × months, ...). */
export type AllPaths = Omit<PathBlockResult, 'firstPath'>;

const WORKER_URL = new URL('./worker.mjs', import.meta.url);

export async function runPaths(model: CompiledModel, opts: RunOptions): Promise<AllPaths> {
  const { paths, seed } = opts;
  if (!Number.isInteger(paths) || paths < 1) throw new RangeError(`paths must be a positive integer, got ${paths}`);
  const all: AllPaths = allocateResult(model, 0, paths);
  const chunks: Array<{ firstPath: number; count: number }> = [];
  for (let p = 0; p < paths; p += CHUNK_PATHS) chunks.push({ firstPath: p, count: Math.min(CHUNK_PATHS, paths - p) });
  let done = 0;
  const place = (r: PathBlockResult) => {
    copyInto(all, r, model);
    done += r.count;
    opts.onProgress?.(done, paths);
  };

  // Threads = cores: with the calling thread at work, one worker fewer.
  const workers = Math.min(opts.workers ?? Math.max(1, availableParallelism() - (opts.mainThread ? 1 : 0)), chunks.length);
  if (workers <= 0) {
    for (const c of chunks) {
      if (opts.signal?.aborted) throw aborted();
      place(simulatePaths(model, seed, c.firstPath, c.count));
      // Let timers, progress listeners and a cancel run between blocks.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return all;
  }

  return new Promise<AllPaths>((resolve, reject) => {
    const pool: Worker[] = [];
    let next = 0;
    let finished = false;
    const stop = (err?: Error) => {
      if (finished) return;
      finished = true;
      opts.signal?.removeEventListener('abort', onAbort);
      for (const w of pool) void w.terminate();
      if (err) reject(err);
      else resolve(all);
    };
    const onAbort = () => stop(aborted());
    if (opts.signal?.aborted) return stop(aborted());
    opts.signal?.addEventListener('abort', onAbort);
    const feed = (w: Worker) => {
      const c = chunks[next++];
      if (c) w.postMessage({ kind: 'block', ...c } satisfies ToWorker);
    };
    if (opts.mainThread) {
      const inline = () => {
        if (finished) return;
        const c = chunks[next++];
        if (!c) return;
        try {
          place(simulatePaths(model, seed, c.firstPath, c.count));
        } catch (err) {
          return stop(err instanceof Error ? err : new Error(String(err)));
        }
        if (done === paths) return stop();
        setImmediate(inline);
      };
      setImmediate(inline);
    }
    for (let k = 0; k < workers; k++) {
      const w = new Worker(WORKER_URL, { execArgv: [] });
      pool.push(w);
      w.on('message', (msg: FromWorker) => {
        if (finished) return;
        if (msg.kind === 'error') return stop(new ContextError('E_SIMULATION', `simulation worker failed: ${msg.message}`));
        place(msg.result);
        if (done === paths) return stop();
        feed(w);
      });
      w.on('error', (err) => stop(new ContextError('E_SIMULATION', `simulation worker failed: ${err.message}`, { cause: err })));
      w.on('exit', (code) => {
        if (!finished) stop(new ContextError('E_SIMULATION', `simulation worker exited with code ${code} before the run finished`));
      });
      w.postMessage({ kind: 'model', model, seed } satisfies ToWorker);
      feed(w);
    }
  });
}

function aborted(): Error {
  const err = new Error('simulation cancelled');
  err.name = 'AbortError';
  return err;
}

function copyInto(all: AllPaths, r: PathBlockResult, model: CompiledModel): void {
  for (const key of RESULT_ARRAYS) all[key].set(r[key] as never, r.firstPath * perPath(model, key));
}
