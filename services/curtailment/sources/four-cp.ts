import { Type, type Static } from '@sinclair/typebox';
import { check, ValidationError } from '../../domain/schema.ts';
import { Strict } from '../../lib/strict.ts';
import { errorMessage } from '../../lib/errors.ts';
import { logger, type Logger } from '../../lib/log.ts';
import type { CurtailSignal, CurtailmentPort } from '../signal.ts';

/**
 * 4CP peak avoidance: the predicted peak windows (the site file's dispatch.fourCpWindows)
 * become engine events at the site cap (dispatch.fourCpCapMw), each requested when its
 * window opens. A window already open at start() is requested at once; one already over is
 * skipped. Timers are unref'd (they never keep the process alive) and stop() cancels them.
 * A failed request is retried every retryMs while its window is open; the externalId
 * ("4cp:<startMs>") makes a retry after an ambiguous failure ask for the same event.
 */

const IsoDateTime = Type.String({ format: 'date-time' });

export const FourCpSourceConfig = Strict({
  /** Predicted 4CP windows, UTC, as in the site file. */
  windows: Type.Array(Strict({ start: IsoDateTime, end: IsoDateTime })),
  /** Site load allowed during a window, MW. */
  capMw: Type.Number({ minimum: 0, maximum: 100_000 }),
  allowAi: Type.Boolean({ default: false }),
  /** Default: the program's DEFAULT_PRIORITY. */
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  retryMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
});
export type FourCpSourceConfig = Static<typeof FourCpSourceConfig>;

/** setTimeout's longest delay (2^31 − 1 ms, about 24.8 days); longer waits are chained. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface FourCpWindowState {
  startMs: number;
  endMs: number;
  state: 'waiting' | 'requested' | 'skipped' | 'failed';
  eventId?: string;
}

interface Window extends FourCpWindowState {
  timer?: NodeJS.Timeout;
}

export function checkFourCpConfig(value: unknown): FourCpSourceConfig {
  const what = '4CP source configuration';
  const config = check(FourCpSourceConfig, structuredClone(value), what);
  parseWindows(config, what);
  return config;
}

function parseWindows(config: Pick<FourCpSourceConfig, 'windows'>, what: string): Window[] {
  return config.windows.map((w, i) => {
    const startMs = Date.parse(w.start);
    const endMs = Date.parse(w.end);
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) {
      throw new ValidationError(what, [{ path: `/windows/${i}`, message: `start and end must be ISO 8601 date-times, got ${w.start}, ${w.end}` }]);
    }
    if (!(endMs > startMs)) throw new ValidationError(what, [{ path: `/windows/${i}/end`, message: `end ${w.end} is not after start ${w.start}` }]);
    return { startMs, endMs, state: 'waiting' as const };
  });
}

export class FourCpScheduler {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly windows: Window[];
  private running = false;

  constructor(
    private readonly config: FourCpSourceConfig,
    private readonly port: CurtailmentPort,
    options: { log?: Logger; now?: () => number } = {},
  ) {
    this.windows = parseWindows(config, '4CP source configuration');
    this.log = options.log ?? logger('4cp');
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.now();
    let open = 0;
    let upcoming = 0;
    for (const w of this.windows) {
      if (w.state !== 'waiting') continue;
      if (w.endMs <= now) {
        w.state = 'skipped';
      } else if (w.startMs <= now) {
        open++;
        void this.fire(w);
      } else {
        upcoming++;
        this.arm(w);
      }
    }
    const skipped = this.windows.filter((w) => w.state === 'skipped').length;
    const next = this.windows.filter((w) => w.state === 'waiting' && w.startMs > now).sort((a, b) => a.startMs - b.startMs)[0];
    this.log.info({ open, upcoming, skipped, next: next ? new Date(next.startMs).toISOString() : undefined, capMw: this.config.capMw }, '4CP windows scheduled');
  }

  /** Cancels every pending window; events already requested run their course. */
  stop(): void {
    this.running = false;
    for (const w of this.windows) {
      if (w.timer) clearTimeout(w.timer);
      w.timer = undefined;
    }
  }

  windowStates(): FourCpWindowState[] {
    return this.windows.map(({ startMs, endMs, state, eventId }) => (eventId === undefined ? { startMs, endMs, state } : { startMs, endMs, state, eventId }));
  }

  private arm(w: Window, delayMs = w.startMs - this.now()): void {
    const wait = Math.max(0, Math.min(delayMs, MAX_TIMER_MS));
    w.timer = setTimeout(() => {
      w.timer = undefined;
      if (!this.running) return;
      if (w.startMs > this.now()) this.arm(w);
      else void this.fire(w);
    }, wait);
    w.timer.unref();
  }

  private async fire(w: Window): Promise<void> {
    const signal: CurtailSignal = {
      program: '4cp',
      target: { targetMw: this.config.capMw },
      startMs: w.startMs,
      endMs: w.endMs,
      allowAi: this.config.allowAi,
      externalId: `4cp:${w.startMs}`,
      requestedBy: '4cp',
      reason: `predicted 4CP peak ${new Date(w.startMs).toISOString()} to ${new Date(w.endMs).toISOString()}`,
    };
    if (this.config.priority !== undefined) signal.priority = this.config.priority;
    try {
      const { eventId } = await this.port.request(signal);
      w.state = 'requested';
      w.eventId = eventId;
      this.log.info({ eventId, start: new Date(w.startMs).toISOString(), end: new Date(w.endMs).toISOString(), capMw: this.config.capMw }, '4CP window: curtailment requested');
    } catch (err) {
      const retry = this.running && this.now() + this.config.retryMs < w.endMs;
      this.log.error({ start: new Date(w.startMs).toISOString(), err: errorMessage(err), retryInMs: retry ? this.config.retryMs : undefined }, '4CP window: the curtailment engine refused the request');
      if (retry) this.arm(w, this.config.retryMs);
      else w.state = 'failed';
    }
  }
}
