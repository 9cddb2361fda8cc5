import type { EventStatus } from '../event-record.ts';

/**
 * Runs steps one after another. Sources are fed readings (prices, frequencies) faster than
 * the engine may answer; two overlapping steps could both see "not yet curtailed" and ask
 * twice. Each caller still gets its own step's result or error.
 */
export class StepQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step);
    // The tail only orders the next step; this step's error reaches its caller via `result`.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** An engine event that will not shed again: it ran its course, or was aborted, or failed. */
export function isFinalStatus(status: EventStatus | undefined): boolean {
  return status === 'done' || status === 'aborted' || status === 'failed';
}
