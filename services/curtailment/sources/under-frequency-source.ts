import { Type, type Static } from '@sinclair/typebox';
import { check } from '../../domain/schema.ts';
import { Strict } from '../../lib/strict.ts';
import { ContextError, errorMessage } from '../../lib/errors.ts';
import { logger, type Logger } from '../../lib/log.ts';
import type { CurtailSignal, CurtailmentPort } from '../signal.ts';
import {
  stepUnderFrequency,
  underFrequencyState,
  type FrequencyReading,
  type UnderFrequencyAction,
  type UnderFrequencyState,
} from '../../agent-contract/under-frequency.ts';
import { isFinalStatus, StepQueue } from './step-queue.ts';

/**
 * The control plane's under-frequency source: fed the revenue meter's frequency readings in
 * time order, it runs the trigger (under-frequency.ts) and turns a trip into an engine
 * request for the configured shed, and the release into its end. (Agents also watch the
 * frequency themselves and shed locally; this is the control plane's side.)
 *
 * The event is named by the reading that tripped it ("under-frequency:<atMs>") and lasts
 * maxDurationMs unless released sooner. A meter that stops giving usable readings is logged
 * once when it goes and once when it comes back: unknown readings neither trip nor release.
 * If the engine refuses the trip, the trigger is rolled back so the next low reading trips
 * again; if it refuses the release, the next healthy reading releases again. If the engine
 * event is over (maxDurationMs, an admin abort) while still tripped, the trigger re-arms and
 * the reading is judged afresh.
 */

export const UnderFrequencySourceConfig = Strict({
  /** Load to remove on a trip, MW (a Responsive Reserve obligation is a fixed MW). */
  shedMw: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
  maxDurationMs: Type.Integer({ minimum: 60_000, maximum: 86_400_000 }),
  /** May the trip cap AI load (within each contract's flexibility)? */
  allowAi: Type.Boolean({ default: false }),
  /** Default: the program's DEFAULT_PRIORITY. */
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  /** Trigger parameters; each defaults as in DEFAULT_UNDER_FREQUENCY (59.7 Hz trip, …). */
  trigger: Type.Optional(
    Strict({
      tripHz: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
      tripCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      releaseHz: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
      releaseHoldMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
      plausibleHz: Type.Optional(Type.Tuple([Type.Number(), Type.Number()])),
    }),
  ),
});
export type UnderFrequencySourceConfig = Static<typeof UnderFrequencySourceConfig>;

export function checkUnderFrequencyConfig(value: unknown): UnderFrequencySourceConfig {
  const config = check(UnderFrequencySourceConfig, structuredClone(value), 'under-frequency source configuration');
  underFrequencyState(config.trigger ?? {});
  return config;
}

export interface UnderFrequencySourceStep {
  action: UnderFrequencyAction;
  /** The reading was unknown (missing, implausible, out of order) and ignored. */
  unknown: boolean;
  /** The engine event while tripped. */
  eventId: string | undefined;
}

export class UnderFrequencyError extends ContextError {
  constructor(message: string, cause: unknown) {
    super('E_UNDER_FREQUENCY', message, { cause });
    this.name = 'UnderFrequencyError';
  }
}

export class UnderFrequencySource {
  private readonly log: Logger;
  private readonly queue = new StepQueue();
  private state: UnderFrequencyState;
  private engineEventId: string | undefined;
  private meterUnknownSinceMs: number | undefined;

  constructor(
    private readonly config: UnderFrequencySourceConfig,
    private readonly port: CurtailmentPort,
    options: { log?: Logger } = {},
  ) {
    this.state = underFrequencyState(config.trigger ?? {});
    this.log = options.log ?? logger('under-frequency');
  }

  get tripped(): boolean {
    return this.state.tripped;
  }

  get eventId(): string | undefined {
    return this.engineEventId;
  }

  onReading(reading: FrequencyReading): Promise<UnderFrequencySourceStep> {
    return this.queue.run(() => this.step(reading));
  }

  private async step(reading: FrequencyReading): Promise<UnderFrequencySourceStep> {
    if (this.state.tripped && this.engineEventId !== undefined && isFinalStatus(this.port.status(this.engineEventId))) {
      this.log.info({ eventId: this.engineEventId, status: this.port.status(this.engineEventId) }, 'under-frequency event is over while still tripped; trigger re-armed');
      this.state = { ...underFrequencyState(this.config.trigger ?? {}), lastAtMs: this.state.lastAtMs };
      this.engineEventId = undefined;
    }
    const before = this.state;
    const { state, action, unknown } = stepUnderFrequency(before, reading);
    this.state = state;
    this.noteMeter(reading, unknown);
    if (action === 'trip') await this.trip(reading, state);
    else if (action === 'release') await this.release(reading, before, state);
    return { action, unknown, eventId: this.engineEventId };
  }

  private noteMeter(reading: FrequencyReading, unknown: boolean): void {
    if (unknown && this.meterUnknownSinceMs === undefined) {
      this.meterUnknownSinceMs = reading.atMs;
      this.log.warn({ atMs: reading.atMs, hz: reading.hz, tripped: this.state.tripped }, 'meter frequency unusable (missing, implausible or out of order); the trigger holds');
    } else if (!unknown && this.meterUnknownSinceMs !== undefined) {
      this.log.info({ atMs: reading.atMs, hz: reading.hz, unusableForMs: reading.atMs - this.meterUnknownSinceMs }, 'meter frequency usable again');
      this.meterUnknownSinceMs = undefined;
    }
  }

  private async trip(reading: FrequencyReading, after: UnderFrequencyState): Promise<void> {
    const p = after.params;
    const signal: CurtailSignal = {
      program: 'under-frequency',
      target: { shedMw: this.config.shedMw },
      startMs: reading.atMs,
      endMs: reading.atMs + this.config.maxDurationMs,
      allowAi: this.config.allowAi,
      externalId: `under-frequency:${reading.atMs}`,
      requestedBy: 'under-frequency',
      reason: `meter frequency ${reading.hz} Hz below ${p.tripHz} Hz${p.tripCount > 1 ? ` for ${p.tripCount} readings` : ''}`,
    };
    if (this.config.priority !== undefined) signal.priority = this.config.priority;
    try {
      const { eventId } = await this.port.request(signal);
      this.engineEventId = eventId;
      this.log.warn({ eventId, hz: reading.hz, tripHz: p.tripHz, shedMw: this.config.shedMw }, 'under-frequency trip: shed requested');
    } catch (err) {
      // Not tripped after all; the low count is kept, so the next low reading trips again.
      this.state = { ...after, tripped: false };
      throw new UnderFrequencyError(`under-frequency trip at ${new Date(reading.atMs).toISOString()} (${reading.hz} Hz): requesting the shed: ${errorMessage(err)}`, err);
    }
  }

  private async release(reading: FrequencyReading, before: UnderFrequencyState, after: UnderFrequencyState): Promise<void> {
    const eventId = this.engineEventId;
    if (eventId === undefined) return;
    const p = after.params;
    const why = `frequency at or above ${p.releaseHz} Hz for ${p.releaseHoldMs / 1000} s`;
    try {
      await this.port.end(eventId, why);
    } catch (err) {
      // Still tripped, with the healthy run kept, so the next healthy reading releases again.
      this.state = { ...after, tripped: true, healthySinceMs: before.healthySinceMs ?? reading.atMs };
      throw new UnderFrequencyError(`under-frequency release at ${new Date(reading.atMs).toISOString()}: ending engine event ${eventId}: ${errorMessage(err)}`, err);
    }
    this.engineEventId = undefined;
    this.log.info({ eventId, hz: reading.hz, why }, 'under-frequency released: shed ended');
  }
}
