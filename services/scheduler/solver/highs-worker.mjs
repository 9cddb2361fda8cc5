// Runs one HiGHS solve off the main thread. Plain JavaScript on purpose: a worker does not
// inherit the tsx loader the CLI registers, and this file needs nothing but `highs`.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import loadHighs from 'highs';

// Background priority for this thread only: on Linux setpriority(PRIO_PROCESS, 0) renices the
// calling thread, not the process (services/lib/thread-priority.ts); elsewhere it would renice
// the whole process, so it is left alone there.
if (process.platform === 'linux' && typeof workerData?.nice === 'number') setPriority(workerData.nice);

const highsReady = loadHighs();

/** HiGHS model-status codes → the names the scheduler reports. */
const STATUS = {
  7: 'optimal',
  8: 'infeasible',
  9: 'infeasible-or-unbounded',
  10: 'unbounded',
  13: 'time-limit',
  14: 'iteration-limit',
  17: 'interrupted',
};

parentPort.on('message', async (req) => {
  try {
    parentPort.postMessage({ id: req.id, ok: true, result: solve(await highsReady, req) });
  } catch (err) {
    parentPort.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});

function solve(highs, { lp, timeLimitS, mipRelGap, wantIis }) {
  const model = highs.createModel();
  try {
    model.options.set({ output_flag: false, time_limit: timeLimitS, mip_rel_gap: mipRelGap });
    if (wantIis) model.options.set({ iis_strategy: highs.constants.iis.strategyRowPriority });
    model.readModel({ format: 'lp', data: lp });
    const started = performance.now();
    const run = model.run();
    const wallMs = performance.now() - started;
    const status = STATUS[run.modelStatus] ?? `highs-status-${run.modelStatus}`;
    const { numCols } = model.getDimensions();
    const out = { status, wallMs, objective: null, mipGap: null, dualBound: null, names: [], values: [], iisRows: [] };
    const hasSolution = status === 'optimal' || ((status === 'time-limit' || status === 'interrupted') && safeInfo(model, 'primal_solution_status') === 2);
    if (hasSolution) {
      const sol = model.getSolution();
      out.objective = model.getObjectiveValue();
      for (let i = 0; i < numCols; i++) out.names.push(model.getColName(i));
      out.values = Array.from(sol.colValue);
      out.mipGap = safeInfo(model, 'mip_gap');
      out.dualBound = safeInfo(model, 'mip_dual_bound');
    }
    if (wantIis && (status === 'infeasible' || status === 'infeasible-or-unbounded')) {
      const iis = model.getIis();
      out.iisRows = Array.from(iis.rowIndex, (i) => model.getRowName(i));
    }
    return out;
  } finally {
    model.dispose();
  }
}

/** An info item, or null when this run did not set it (an LP has no MIP gap). */
function safeInfo(model, name) {
  try {
    const v = model.info.get(name);
    return typeof v === 'bigint' ? Number(v) : v;
  } catch {
    // HiGHS throws for items a run did not produce; null is how the caller learns that.
    return null;
  }
}
