import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Aggregate } from '../../telemetry/history.ts';
import { ApiError } from '../errors.ts';
import { responses } from '../schemas.ts';
import { parseDurationMs, parseTimeMs } from '../time-params.ts';

const Name = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' });

const TelemetryQuery = Type.Object(
  {
    measurement: Name,
    field: Name,
    /** Epoch ms, ISO 8601, "now", or relative to now: "-1h", "-90m", "-30s", "-3600000". */
    from: Type.String({ minLength: 1, maxLength: 40 }),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    /** Bucket width: "60s", "5m", "1h" or ms; default: the range in ~300 buckets. */
    step: Type.Optional(Type.String({ pattern: '^\\d{1,12}(ms|s|m|h|d)?$' })),
    groupBy: Type.Optional(Name),
    block: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })),
    aggregate: Type.Optional(
      Type.Union([Type.Literal('mean'), Type.Literal('min'), Type.Literal('max'), Type.Literal('last'), Type.Literal('sum')]),
    ),
  },
  { additionalProperties: false },
);
type TelemetryQuery = Static<typeof TelemetryQuery>;

const TelemetryResponse = Type.Object(
  {
    measurement: Type.String(),
    field: Type.String(),
    aggregate: Type.String(),
    fromMs: Type.Integer(),
    toMs: Type.Integer(),
    stepMs: Type.Integer(),
    series: Type.Array(
      Type.Object(
        {
          tags: Type.Record(Type.String(), Type.String()),
          points: Type.Array(Type.Tuple([Type.Integer(), Type.Number()])),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const MAX_RANGE_MS = 366 * 86_400_000;
/** Buckets per series, and points over all series, one query may return. */
export const MAX_BUCKETS = 5000;
export const MAX_TOTAL_POINTS = 100_000;
const MIN_STEP_MS = 1000;

function defaultStepMs(rangeMs: number): number {
  return Math.max(MIN_STEP_MS, Math.ceil(rangeMs / 300 / 1000) * 1000);
}

export async function telemetryRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: TelemetryQuery }>(
    '/api/telemetry',
    { config: { access: 'read' }, schema: { querystring: TelemetryQuery, response: responses({ 200: TelemetryResponse }) } },
    async (req) => {
      const q = req.query;
      const now = Date.now();
      const fromMs = parseTimeMs(q.from, now, 'from');
      const toMs = q.to === undefined ? now : parseTimeMs(q.to, now, 'to');
      if (!(fromMs < toMs)) throw new ApiError('E_RANGE', `from (${fromMs}) must be before to (${toMs})`);
      if (toMs - fromMs > MAX_RANGE_MS) throw new ApiError('E_RANGE', `the range may span at most ${MAX_RANGE_MS / 86_400_000} days`);
      const stepMs = q.step === undefined ? defaultStepMs(toMs - fromMs) : parseDurationMs(q.step, 'step');
      if (stepMs < MIN_STEP_MS) throw new ApiError('E_RANGE', `step must be at least ${MIN_STEP_MS} ms`);
      const buckets = Math.ceil((toMs - fromMs) / stepMs);
      if (buckets > MAX_BUCKETS) {
        const minStep = Math.ceil((toMs - fromMs) / MAX_BUCKETS);
        throw new ApiError('E_TOO_MANY_POINTS', `${buckets} buckets per series; at most ${MAX_BUCKETS} (use step ≥ ${minStep} ms)`);
      }
      const aggregate: Aggregate = q.aggregate ?? 'mean';
      const series = await app.services.history.query({
        measurement: q.measurement,
        field: q.field,
        fromMs,
        toMs,
        stepMs,
        aggregate,
        ...(q.block !== undefined ? { where: { block: q.block } } : {}),
        ...(q.groupBy !== undefined ? { groupBy: q.groupBy } : {}),
      });
      const total = series.reduce((n, s) => n + s.points.length, 0);
      if (total > MAX_TOTAL_POINTS) {
        throw new ApiError('E_TOO_MANY_POINTS', `${total} points in ${series.length} series; at most ${MAX_TOTAL_POINTS} (filter with block= or widen step)`);
      }
      return { measurement: q.measurement, field: q.field, aggregate, fromMs, toMs, stepMs, series };
    },
  );
}
