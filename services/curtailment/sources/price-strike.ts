import { Type, type Static } from '@sinclair/typebox';
import { check, ValidationError } from '../../domain/schema.ts';
import { Strict } from '../../lib/strict.ts';
import { ContextError, errorMessage } from '../../lib/errors.ts';
import { logger, type Logger } from '../../lib/log.ts';
import type { PriceInterval } from '../../market/price-series.ts';
import type { EventTarget } from '../event-record.ts';
import type { CurtailSignal, CurtailmentPort } from '../signal.ts';
import { stepStrike, strikeState, type StrikeAction, type StrikeState } from '../strike-rule.ts';
import { isFinalStatus, StepQueue } from './step-queue.ts';

/**
 * The price-strike source: fed realised interval prices in order, it runs the strike rule
 * (strike-rule.ts) and turns 'curtail' into an engine request and 'resume' into its end.
 *
 * A realised price is known once its interval is over, so the curtailment starts at the end
 * of the interval that decided it; that instant also names the event
 * (externalId "price-strike:<startMs>"), so a replayed price asks for the same event again
 * rather than a second one. A skipped interval counts as a missing price: it breaks both
 * streaks, as the rule prescribes for gaps. A price for an interval not after the last one
 * is ignored. If the engine event is over (maxDurationMs ran out, or an admin aborted it)
 * while the rule still says "curtailed", the rule is re-armed: it curtails again only after
 * a fresh run of high prices.
 */

export const PriceStrikeSourceConfig = Strict({
  strikeUsdPerMwh: Type.Number({ minimum: -10_000, maximum: 100_000 }),
  /** N consecutive intervals above the strike before curtailing. */
  curtailAfter: Type.Integer({ minimum: 1, maximum: 1000 }),
  /** M consecutive intervals at or below the strike before resuming. */
  resumeAfter: Type.Integer({ minimum: 1, maximum: 1000 }),
  /** Above this, curtail on the first interval. */
  hardStrikeUsdPerMwh: Type.Optional(Type.Number({ minimum: -10_000, maximum: 100_000 })),
  /** Resume counts intervals at or below this (default: the strike). */
  resumeAtOrBelowUsdPerMwh: Type.Optional(Type.Number({ minimum: -10_000, maximum: 100_000 })),
  /** Exactly one of targetMw (site load to get down to) and shedMw (load to remove). */
  targetMw: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
  shedMw: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
  /** The engine event's length; the rule's 'resume' usually ends it sooner. */
  maxDurationMs: Type.Integer({ minimum: 60_000, maximum: 7 * 86_400_000 }),
  allowAi: Type.Boolean({ default: false }),
  /** Default: the program's DEFAULT_PRIORITY. */
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
});
export type PriceStrikeSourceConfig = Static<typeof PriceStrikeSourceConfig>;

export function checkPriceStrikeConfig(value: unknown): PriceStrikeSourceConfig {
  const what = 'price-strike source configuration';
  const config = check(PriceStrikeSourceConfig, structuredClone(value), what);
  targetOf(config, what);
  try {
    strikeState(config);
  } catch (err) {
    const path = /resumeAtOrBelow/.test(errorMessage(err)) ? '/resumeAtOrBelowUsdPerMwh' : '/hardStrikeUsdPerMwh';
    throw new ValidationError(what, [{ path, message: errorMessage(err) }]);
  }
  return config;
}

function targetOf(config: Pick<PriceStrikeSourceConfig, 'targetMw' | 'shedMw'>, what: string): EventTarget {
  if ((config.targetMw === undefined) === (config.shedMw === undefined)) {
    throw new ValidationError(what, [{ path: '/', message: 'give exactly one of "targetMw" or "shedMw"' }]);
  }
  return config.targetMw !== undefined ? { targetMw: config.targetMw } : { shedMw: config.shedMw as number };
}

export interface PriceStrikeStep {
  action: StrikeAction;
  /** The engine event while curtailed. */
  eventId: string | undefined;
}

export class PriceStrikeError extends ContextError {
  constructor(message: string, cause: unknown) {
    super('E_PRICE_STRIKE', message, { cause });
    this.name = 'PriceStrikeError';
  }
}

export class PriceStrikeSource {
  private readonly log: Logger;
  private readonly target: EventTarget;
  private readonly queue = new StepQueue();
  private state: StrikeState;
  private engineEventId: string | undefined;
  private lastStartMs: number | undefined;
  private lastEndMs: number | undefined;

  constructor(
    private readonly config: PriceStrikeSourceConfig,
    private readonly port: CurtailmentPort,
    options: { log?: Logger } = {},
  ) {
    this.target = targetOf(config, 'price-strike source configuration');
    this.state = strikeState(config);
    this.log = options.log ?? logger('price-strike');
  }

  get curtailed(): boolean {
    return this.state.curtailed;
  }

  get eventId(): string | undefined {
    return this.engineEventId;
  }

  /** Feeds the next realised interval price; rejects (with the rule rolled back) if the engine does. */
  onPrice(interval: PriceInterval): Promise<PriceStrikeStep> {
    return this.queue.run(() => this.step(interval));
  }

  private async step(iv: PriceInterval): Promise<PriceStrikeStep> {
    if (!Number.isFinite(iv.startMs) || !(Number.isFinite(iv.minutes) && iv.minutes > 0)) {
      throw new RangeError(`price strike: interval needs a finite startMs and minutes > 0, got ${iv.startMs}, ${iv.minutes}`);
    }
    const hold = { action: 'hold' as const, eventId: this.engineEventId };
    if (this.lastStartMs !== undefined && iv.startMs <= this.lastStartMs) {
      this.log.debug({ startMs: iv.startMs, lastStartMs: this.lastStartMs }, 'price for an interval already seen; ignored');
      return hold;
    }
    if (this.lastEndMs !== undefined && iv.startMs > this.lastEndMs) {
      this.log.warn({ missingFrom: new Date(this.lastEndMs).toISOString(), to: new Date(iv.startMs).toISOString() }, 'price feed skipped intervals; streaks restart');
      this.state = stepStrike(this.state, Number.NaN).state;
    }
    this.lastStartMs = iv.startMs;
    const endMs = iv.startMs + iv.minutes * 60_000;
    this.lastEndMs = endMs;

    if (this.state.curtailed && this.engineEventId !== undefined && isFinalStatus(this.port.status(this.engineEventId))) {
      this.log.info({ eventId: this.engineEventId, status: this.port.status(this.engineEventId) }, 'price-strike event is over while prices were still high; rule re-armed');
      this.state = strikeState(this.config);
      this.engineEventId = undefined;
    }

    const { state: next, action } = stepStrike(this.state, iv.priceUsdPerMwh);
    this.state = next;
    if (action === 'curtail') await this.curtail(iv, endMs, next);
    else if (action === 'resume') await this.resume(iv, next);
    return { action, eventId: this.engineEventId };
  }

  private async curtail(iv: PriceInterval, startMs: number, next: StrikeState): Promise<void> {
    const p = this.config;
    const hard = p.hardStrikeUsdPerMwh !== undefined && iv.priceUsdPerMwh > p.hardStrikeUsdPerMwh;
    const reason = hard
      ? `price ${iv.priceUsdPerMwh} $/MWh above the hard strike ${p.hardStrikeUsdPerMwh} $/MWh`
      : `price above the ${p.strikeUsdPerMwh} $/MWh strike for ${next.above} intervals (last ${iv.priceUsdPerMwh} $/MWh)`;
    const signal: CurtailSignal = {
      program: 'price-strike',
      target: this.target,
      startMs,
      endMs: startMs + p.maxDurationMs,
      allowAi: p.allowAi,
      externalId: `price-strike:${startMs}`,
      requestedBy: 'price-strike',
      reason,
    };
    if (p.priority !== undefined) signal.priority = p.priority;
    try {
      const { eventId } = await this.port.request(signal);
      this.engineEventId = eventId;
      this.log.info({ eventId, startMs, endMs: signal.endMs, target: this.target, reason }, 'price strike: curtailment requested');
    } catch (err) {
      // Not curtailed after all: the next high price asks again (the streak is kept).
      this.state = { ...next, curtailed: false };
      throw new PriceStrikeError(`price strike: requesting curtailment from ${new Date(startMs).toISOString()}: ${errorMessage(err)}`, err);
    }
  }

  private async resume(iv: PriceInterval, next: StrikeState): Promise<void> {
    const eventId = this.engineEventId;
    if (eventId === undefined) return;
    const resumeAt = this.config.resumeAtOrBelowUsdPerMwh;
    const level = resumeAt === undefined ? `the ${this.config.strikeUsdPerMwh} $/MWh strike` : `the ${resumeAt} $/MWh resume level`;
    const why = `price at or below ${level} for ${next.below} intervals (last ${iv.priceUsdPerMwh} $/MWh)`;
    try {
      await this.port.end(eventId, why);
    } catch (err) {
      // Still curtailed: the next low price ends it again.
      this.state = { ...next, curtailed: true };
      throw new PriceStrikeError(`price strike: ending engine event ${eventId}: ${errorMessage(err)}`, err);
    }
    this.engineEventId = undefined;
    this.log.info({ eventId, why }, 'price strike: curtailment ended');
  }
}
