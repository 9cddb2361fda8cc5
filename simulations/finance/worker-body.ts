import { parentPort } from 'node:worker_threads';
import { simulatePaths } from './kernel.ts';
import { RESULT_ARRAYS, type CompiledModel, type PathBlockResult } from './model.ts';

/** Messages between run.ts and a worker: the model once, then path blocks one at a time. */
export type ToWorker = { kind: 'model'; model: CompiledModel; seed: number } | { kind: 'block'; firstPath: number; count: number };
export type FromWorker = { kind: 'block'; result: PathBlockResult } | { kind: 'error'; message: string };

let model: CompiledModel | undefined;
let seed = 0;

parentPort?.on('message', (msg: ToWorker) => {
  try {
    if (msg.kind === 'model') {
      model = msg.model;
      seed = msg.seed;
      return;
    }
    if (!model) throw new Error('path block before the model');
    const result = simulatePaths(model, seed, msg.firstPath, msg.count);
    const transfer = RESULT_ARRAYS.map((k) => result[k].buffer as ArrayBuffer);
    parentPort!.postMessage({ kind: 'block', result } satisfies FromWorker, transfer);
  } catch (err) {
    parentPort!.postMessage({ kind: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromWorker);
  }
});
