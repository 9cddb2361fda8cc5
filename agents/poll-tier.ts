import type { Reading } from '../services/agent-contract/batch-schema.ts';
import { errorMessage } from '../services/lib/errors.ts';
import type { DeviceDriver, PollTarget } from './device-driver.ts';
import { forEachBounded, type Slots } from './pool.ts';

/**
 * One polling cycle of one tier: every target read through its driver with at most
 * `concurrency` in flight, each under its own deadline. A hung device holds one slot for at
 * most `timeoutMs`, then it is recorded offline ("timeout") and the slot moves on, so a
 * cycle over N devices never waits on one of them beyond its deadline.
 */
export interface TierCycleOptions {
  timeoutMs: number;
  concurrency: number;
  now?: () => number;
  /** Aborts every read in flight (the poller stopping). */
  signal?: AbortSignal;
  /** Each read also holds one of these (a limit that may drop mid-cycle, see Poller). */
  slots?: Slots;
}

export class DeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

/**
 * The driver's reading(s) for `target`, or one reading about the target itself when the driver
 * throws or misses the deadline (a multi-device driver should answer within it: see the
 * nvidia-smi driver, which re-reports its GPUs as stale before the deadline).
 */
export function readWithDeadline<T extends PollTarget, R extends Reading | Reading[]>(driver: DeviceDriver<T, R>, target: T, opts: TierCycleOptions): Promise<R | Reading> {
  const now = opts.now ?? Date.now;
  const controller = new AbortController();
  const stop = opts.signal;
  const onStop = () => controller.abort(stop?.reason);
  stop?.addEventListener('abort', onStop, { once: true });
  const base = () => ({ deviceId: target.id, kind: target.kind ?? driver.deviceKind, ...(target.blockId === undefined ? {} : { blockId: target.blockId }), atMs: now() });
  // One promise settled by whichever comes first: the driver's reading or the deadline.
  return new Promise<R | Reading>((resolve) => {
    const done = (reading: R | Reading) => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
      resolve(reading);
    };
    const timer = setTimeout(() => {
      controller.abort(new DeadlineError(`no reading within ${opts.timeoutMs} ms`));
      done({ ...base(), status: 'offline', metrics: {}, error: `${driver.kind} read of ${target.id}: timeout: no reading within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    driver.read(target, { timeoutMs: opts.timeoutMs, signal: controller.signal }).then(done, (err: unknown) =>
      done({ ...base(), status: 'error', metrics: {}, error: `${driver.kind} read of ${target.id} failed: ${errorMessage(err)}`.slice(0, 2000) }),
    );
  });
}

export async function pollTier<T extends PollTarget, R extends Reading | Reading[]>(
  driver: DeviceDriver<T, R>,
  targets: readonly T[],
  opts: TierCycleOptions,
  emit: (r: Reading) => void,
): Promise<void> {
  await forEachBounded(targets, opts.concurrency, async (target) => {
    if (opts.signal?.aborted) return;
    const release = await opts.slots?.acquire();
    let got: R | Reading;
    try {
      if (opts.signal?.aborted) return;
      got = await readWithDeadline(driver, target, opts);
    } finally {
      release?.();
    }
    if (Array.isArray(got)) for (const r of got) emit(r);
    else emit(got);
  });
}
