import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { describeIssues, validator, ValidationError, type SchemaIssue } from '../domain/schema.ts';
import { Strict } from '../lib/strict.ts';
import { ContextError } from '../lib/errors.ts';
import { EventId } from './event-record.ts';
import { UtcMs as UtcMsSchema } from '../domain/utc-ms.ts';

/**
 * Request bodies that start a curtailment event: the grid dispatch webhook and the operator's
 * request. Unknown keys are rejected. "Exactly one of" rules are JSON Schema oneOf over
 * `required`, so the API's own validation enforces them; `dispatchWindow` adds what a schema
 * cannot say (the end after the start).
 */

/** A oneOf over `required`; its description is the message a failure reports. */
const exactlyOne = (a: string, b: string) => ({ description: `give exactly one of "${a}" or "${b}"`, oneOf: [{ required: [a] }, { required: [b] }] });

const TargetMw = Type.Number({ minimum: 0, maximum: 100_000, description: 'Site load to get down to, MW' });
const ShedMw = Type.Number({ exclusiveMinimum: 0, maximum: 100_000, description: 'Load to remove, MW' });
const UtcMs = UtcMsSchema();
/** ISO 8601 with a zone (Z or an offset): a time without one names no instant. */
const IsoTime = Type.String({ format: 'date-time' });

export const GridDispatchBody = Strict(
  {
    program: Type.String({ minLength: 1, maxLength: 128 }),
    targetMw: Type.Optional(TargetMw),
    shedMw: Type.Optional(ShedMw),
    startMs: Type.Optional(UtcMs),
    start: Type.Optional(IsoTime),
    endMs: Type.Optional(UtcMs),
    end: Type.Optional(IsoTime),
    /** Idempotency key: a second dispatch with the same id is the same event. */
    eventId: Type.Optional(EventId),
    /** The grid service deployed: a dispatch (default) or an ERS deployment (always may hard-cut). */
    service: Type.Optional(Type.Union([Type.Literal('grid-dispatch'), Type.Literal('ers')])),
    /** The dispatch may cut power through switched PDUs and relays (emergency). */
    allowHardCut: Type.Optional(Type.Boolean()),
  },
  { allOf: [exactlyOne('targetMw', 'shedMw'), exactlyOne('startMs', 'start'), exactlyOne('endMs', 'end')] },
);
export type GridDispatchBody = Static<typeof GridDispatchBody>;

export const OperatorCurtailBody = Strict(
  {
    targetMw: Type.Optional(TargetMw),
    shedMw: Type.Optional(ShedMw),
    /** How long to hold the curtailment, ms (at most a day). */
    durationMs: Type.Integer({ minimum: 1_000, maximum: 86_400_000 }),
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    /** Cut power through switched PDUs and relays (fewest commands) instead of sleeping miners. */
    allowHardCut: Type.Optional(Type.Boolean()),
  },
  { allOf: [exactlyOne('targetMw', 'shedMw')] },
);
export type OperatorCurtailBody = Static<typeof OperatorCurtailBody>;

export class DispatchError extends ContextError {
  constructor(message: string) {
    super('E_DISPATCH', message);
    this.name = 'DispatchError';
  }
}

/** Checks a webhook body (throws ValidationError naming every bad key). */
export function checkGridDispatch(body: unknown): GridDispatchBody {
  return checkBody(GridDispatchBody, body, 'grid dispatch');
}

export function checkOperatorCurtail(body: unknown): OperatorCurtailBody {
  return checkBody(OperatorCurtailBody, body, 'curtailment request');
}

/**
 * Like schema.ts `check`, but an "exactly one of" failure reads as its description instead of
 * ajv's "must match exactly one schema in oneOf" plus a "missing key" per branch.
 */
function checkBody<S extends TSchema>(schema: S, value: unknown, what: string): Static<S> {
  const fn = validator(schema);
  if (fn(value)) return value;
  const issues: SchemaIssue[] = [];
  for (const e of fn.errors ?? []) {
    if (/\/oneOf\/\d+\//.test(e.schemaPath)) continue;
    const description = (e.parentSchema as { description?: unknown } | undefined)?.description;
    if (e.keyword === 'oneOf' && typeof description === 'string') issues.push({ path: e.instancePath, message: description });
    else issues.push(...describeIssues([e]));
  }
  throw new ValidationError(what, issues);
}

/** The dispatch's window in UTC ms, whichever form it came in; throws unless end > start. */
export function dispatchWindow(body: GridDispatchBody): { startMs: number; endMs: number } {
  const startMs = body.startMs ?? Date.parse(body.start ?? '');
  const endMs = body.endMs ?? Date.parse(body.end ?? '');
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw new DispatchError(`grid dispatch: start and end must both be given (got ${body.start ?? body.startMs}, ${body.end ?? body.endMs})`);
  if (!(endMs > startMs)) throw new DispatchError(`grid dispatch: end ${new Date(endMs).toISOString()} is not after start ${new Date(startMs).toISOString()}`);
  return { startMs, endMs };
}
