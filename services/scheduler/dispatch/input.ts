import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../../lib/strict.ts';

/**
 * What the dispatch optimiser needs, in one JSON-able shape (the plan preview API takes it
 * as a body). Power is MW at the site meter unless a name says IT; time is UTC ms; money USD.
 * A block's IT load × overheadFactor is what it draws at the meter.
 */

const Finite = (o: { minimum?: number; exclusiveMinimum?: number; maximum?: number } = {}) => Type.Number(o);

export const DispatchInterval = Strict({
  startMs: Type.Integer(),
  /** Energy price at the site's settlement point, USD/MWh (negative allowed). */
  priceUsdPerMwh: Finite({ minimum: -10_000, maximum: 100_000 }),
  /** Hashprice for this interval, USD per PH/s per day. */
  hashpriceUsdPerPhDay: Finite({ minimum: 0 }),
  /** Demand-response / curtailment credit earned per MWh of mining load not drawn, USD/MWh. */
  creditUsdPerMwh: Type.Optional(Finite({ minimum: 0 })),
  /** A 4CP peak-risk interval: the site holds its load at or under site.fourCpCapMw. */
  fourCp: Type.Optional(Type.Boolean()),
});
export type DispatchInterval = Static<typeof DispatchInterval>;

/** One tranche of a mining block's load: a miner group at its own efficiency. */
export const MiningSegment = Strict({
  label: Type.String(),
  /** IT MW of the group when every miner is at its lowest allowed power target. */
  minItMw: Finite({ minimum: 0 }),
  /** IT MW at nominal power. */
  maxItMw: Finite({ exclusiveMinimum: 0 }),
  efficiencyJPerTh: Finite({ exclusiveMinimum: 0 }),
});
export type MiningSegment = Static<typeof MiningSegment>;

export const InitialState = Strict({
  on: Type.Boolean(),
  /** Intervals the block has been in that state (large = long enough for any minimum time). */
  intervalsInState: Type.Integer({ minimum: 0 }),
});

export const MiningBlock = Strict({
  kind: Type.Literal('mining'),
  id: Type.String(),
  overheadFactor: Finite({ minimum: 1, maximum: 2 }),
  segments: Type.Array(MiningSegment, { minItems: 1 }),
  /** IT MW drawn while every miner sleeps (control boards). */
  sleepItMw: Finite({ minimum: 0 }),
  minOnIntervals: Type.Integer({ minimum: 1 }),
  minOffIntervals: Type.Integer({ minimum: 1 }),
  /** Cost of one restart of the block (wear, lost ramp-up hashing), USD. */
  restartCostUsd: Finite({ minimum: 0 }),
  initial: InitialState,
});
export type MiningBlock = Static<typeof MiningBlock>;

export const AiBlock = Strict({
  kind: Type.Literal('ai'),
  id: Type.String(),
  contractId: Type.String(),
  overheadFactor: Finite({ minimum: 1, maximum: 2 }),
  /** IT MW the contract is served at. */
  fullItMw: Finite({ exclusiveMinimum: 0 }),
  /** Lowest IT MW the contract's flexibility allows (GPU power caps); = fullItMw when it has none. */
  floorItMw: Finite({ minimum: 0 }),
  /**
   * Intervals in this plan the contract lets us cap (its events-per-month allowance spread
   * over the horizon). Capping spends one; a take-or-pay lease pays the same either way, so
   * without this budget the plan would cap the tenant whenever power costs anything.
   */
  maxCappedIntervals: Type.Integer({ minimum: 0 }),
  /** Contract revenue per hour at full load, USD. */
  revenueUsdPerHour: Finite({ minimum: 0 }),
  /** True for GPU-hour billing (revenue falls with capped load); false for take-or-pay leases. */
  revenueScalesWithLoad: Type.Boolean(),
  /** The contract's term, UTC ms [start, end): no rent outside it. Absent: always in term. */
  termStartMs: Type.Optional(Finite()),
  termEndMs: Type.Optional(Finite()),
  /** The tenant pays the block's metered energy at the price paid (contract powerCost pass-through). */
  energyPassThrough: Type.Optional(Type.Boolean()),
});
export type AiBlock = Static<typeof AiBlock>;

export const DispatchBlock = Type.Unsafe<MiningBlock | AiBlock>({
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [MiningBlock, AiBlock],
});
export type DispatchBlock = MiningBlock | AiBlock;

export const Ppa = Strict({
  /** Contracted block of energy, MW, paid for whether used or not. */
  mw: Finite({ exclusiveMinimum: 0 }),
  priceUsdPerMwh: Finite({ minimum: 0 }),
  /** Unused PPA energy is resold at spot less this discount, USD/MWh. */
  resaleDiscountUsdPerMwh: Finite({ minimum: 0 }),
});
export type Ppa = Static<typeof Ppa>;

export const DispatchSite = Strict({
  importLimitMw: Finite({ exclusiveMinimum: 0 }),
  poolFee: Finite({ minimum: 0, maximum: 0.2 }),
  /** Fastest the site's meter load may rise / fall, MW per minute (absent: unlimited). */
  rampUpMwPerMin: Type.Optional(Finite({ exclusiveMinimum: 0 })),
  rampDownMwPerMin: Type.Optional(Finite({ exclusiveMinimum: 0 })),
  /** Meter load just before the first interval, MW (the ramp limits start from it). */
  initialLoadMw: Type.Optional(Finite({ minimum: 0 })),
  /** Site load allowed in a 4CP interval, MW (default: only what AI contracts need). */
  fourCpCapMw: Type.Optional(Finite({ minimum: 0 })),
  ppa: Type.Optional(Ppa),
});
export type DispatchSite = Static<typeof DispatchSite>;

export const DispatchInput = Strict({
  intervalMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
  intervals: Type.Array(DispatchInterval, { minItems: 1, maxItems: 20_000 }),
  site: DispatchSite,
  blocks: Type.Array(DispatchBlock, { minItems: 1 }),
});
export type DispatchInput = Static<typeof DispatchInput>;
