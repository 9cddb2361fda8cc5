import { parentPort } from 'node:worker_threads';
import { BACKGROUND_NICE, lowerThreadPriority } from '../../lib/thread-priority.ts';
import { computePlan } from '../plan-compute.ts';
import { SolverWorker } from '../solver/solve.ts';
import { errorToWire, type PreviewReply, type PreviewRequest } from './preview-wire.ts';

// The preview worker's body: whole what-if plans (model build, HiGHS solve on this thread's
// own solver worker, report) at background priority, one message per preview.
if (!parentPort) throw new Error('preview-thread.ts runs as a worker thread (preview-worker.mjs)');
const port = parentPort;
lowerThreadPriority();
const solver = new SolverWorker(BACKGROUND_NICE);

port.on('message', (msg: PreviewRequest) => {
  computePlan(msg.request, solver).then(
    ({ report }) => port.postMessage({ id: msg.id, ok: true, report } satisfies PreviewReply),
    (err: unknown) => port.postMessage({ id: msg.id, ok: false, error: errorToWire(err) } satisfies PreviewReply),
  );
});
