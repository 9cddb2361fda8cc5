import { Type, type TSchema } from '@sinclair/typebox';
import { Strict as Obj } from '../../lib/strict.ts';
import { UtcMs } from '../../domain/utc-ms.ts';

/** Schemas of the plan routes. The report's nested rows are described, so the serializer keeps them. */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Decision = Type.Union(['mine', 'mine-partial', 'curtail', 'ai', 'ai-capped'].map((d) => Type.Literal(d)));

export const PlanTotalsSchema = Obj({
  marginUsd: Type.Number(),
  miningRevenueUsd: Type.Number(),
  aiRevenueUsd: Type.Number(),
  energyCostUsd: Type.Number(),
  creditsUsd: Type.Number(),
  restartCostUsd: Type.Number(),
  restarts: Type.Integer(),
  energyMwh: Type.Number(),
  curtailedMwh: Type.Number(),
});

export const PlanReportSchema = Obj({
  createdAtMs: Type.Integer(),
  solver: Type.Union([Type.Literal('highs'), Type.Literal('greedy')]),
  status: Type.Union([Type.Literal('optimal'), Type.Literal('time-limit'), Type.Literal('heuristic')]),
  mipGap: Nullable(Type.Number()),
  solveMs: Type.Number(),
  horizon: Obj({ startMs: Type.Integer(), endMs: Type.Integer(), intervalMinutes: Type.Integer(), intervals: Type.Integer(), profileIntervals: Type.Integer() }),
  totals: PlanTotalsSchema,
  baseline: Type.Union([Obj({ solver: Type.Literal('greedy'), marginUsd: Type.Number() }), Type.Null()]),
  intervals: Type.Array(
    Obj({
      startMs: Type.Integer(),
      priceUsdPerMwh: Type.Number(),
      hashpriceUsdPerPhDay: Type.Number(),
      siteLoadMw: Type.Number(),
      miningLoadMw: Type.Number(),
      aiLoadMw: Type.Number(),
      miningRevenueUsd: Type.Number(),
      aiRevenueUsd: Type.Number(),
      energyCostUsd: Type.Number(),
      creditsUsd: Type.Number(),
      restartCostUsd: Type.Number(),
      marginUsd: Type.Number(),
    }),
  ),
  blocks: Type.Array(
    Obj({
      id: Type.String(),
      kind: Type.Union([Type.Literal('mining'), Type.Literal('ai')]),
      runs: Type.Array(Obj({ fromMs: Type.Integer(), toMs: Type.Integer(), decision: Decision, meterMw: Type.Number() })),
    }),
  ),
  excluded: Type.Array(Obj({ blockId: Type.String(), reason: Type.String() })),
});

export const PlanStateSchema = Obj({
  computedAtMs: Nullable(Type.Integer()),
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('prices-changed'), Type.Literal('site-changed'), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  plan: Type.Union([PlanReportSchema, Type.Null()]),
  /**
   * Blocks held off by curtailment now, whatever the plan says for them (the route adds it
   * from the curtailment engine's records): the page shows these, not "Mine".
   */
  curtailment: Type.Optional(Type.Array(Obj({ blockId: Type.String(), eventId: Type.String(), status: Type.String(), devicesHeld: Type.Integer(), wholeBlock: Type.Boolean() }))),
});

export const ExplainQuery = Obj({
  block: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
  /** Epoch ms or ISO 8601. */
  at: Type.String({ minLength: 1, maxLength: 40 }),
});

export const ExplanationSchema = Obj({
  blockId: Type.String(),
  interval: Type.Integer(),
  startMs: Type.Integer(),
  decision: Decision,
  meterMw: Type.Number(),
  priceUsdPerMwh: Type.Number(),
  energyValueUsdPerMwh: Type.Number(),
  options: Type.Array(Obj({ option: Type.Union([Type.Literal('mine'), Type.Literal('curtail'), Type.Literal('ai'), Type.Literal('ai-capped')]), marginUsd: Type.Number() })),
  breakevenUsdPerMwh: Nullable(Type.Number()),
  binding: Type.String(),
  text: Type.String(),
});

/** What-if inputs for POST /api/plan/preview; each changes the current site's plan input. */
export const PreviewBody = Obj({
  hashpriceUsdPerPhDay: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
  prices: Type.Optional(Type.Array(Obj({ startMs: UtcMs(), priceUsdPerMwh: Type.Number({ minimum: -10_000, maximum: 100_000 }) }), { maxItems: 20_000 })),
  priceScale: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  importLimitMw: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
  horizonHours: Type.Optional(Type.Number({ minimum: 1, maximum: 168 })),
  startMs: Type.Optional(UtcMs()),
});
