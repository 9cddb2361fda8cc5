import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../lib/strict.ts';
import { DeviceCommand } from './device-command.ts';

/**
 * Messages on the agent's command channel (a WebSocket the agent opens to the control plane at
 * /api/agent/channel). The control plane sends command batches and the plan in force; the
 * agent answers each batch with one acknowledgement per device and, after running without the
 * control plane, reports what it did on its own. Both ends validate every message.
 */

export const CHANNEL_PROTOCOL = 'switchyard.agent.v1';

const Ms = Type.Integer({ minimum: 0 });

export const CommandBatch = Strict({
  type: Type.Literal('commands'),
  batchId: Type.String({ minLength: 1, maxLength: 200 }),
  eventId: Type.String({ minLength: 1, maxLength: 128 }),
  phase: Type.Union([Type.Literal('shed'), Type.Literal('restore')]),
  /** Per-device deadline for one try, ms. */
  deviceTimeoutMs: Type.Integer({ minimum: 50, maximum: 120_000 }),
  /** Tries per device, the first included. */
  attempts: Type.Integer({ minimum: 1, maximum: 5 }),
  commands: Type.Array(DeviceCommand, { maxItems: 500_000 }),
});
export type CommandBatch = Static<typeof CommandBatch>;

/**
 * The plan in force for the fail-safe: what this agent must have shed while `eventId` is
 * active (status shedding or meter-confirmed). `eventId: null` clears it. The standing
 * under-frequency plan is kept apart: the agent runs it on its own when its meter trips.
 */
export const PlanInForce = Strict({
  type: Type.Literal('plan-in-force'),
  eventId: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()]),
  /** When shedding starts (an event announced ahead is pre-armed: cut off, the agent sheds at this time). */
  startMs: Ms,
  commands: Type.Array(DeviceCommand, { maxItems: 500_000 }),
});
export type PlanInForce = Static<typeof PlanInForce>;

export const StandingUnderFrequencyPlan = Strict({
  type: Type.Literal('under-frequency-plan'),
  tripHz: Type.Number({ minimum: 50, maximum: 70 }),
  commands: Type.Array(DeviceCommand, { maxItems: 500_000 }),
});
export type StandingUnderFrequencyPlan = Static<typeof StandingUnderFrequencyPlan>;

export const ToAgent = Type.Union([CommandBatch, PlanInForce, StandingUnderFrequencyPlan]);
export type ToAgent = Static<typeof ToAgent>;

export const DeviceAck = Strict({
  deviceId: Type.String({ minLength: 1, maxLength: 128 }),
  ok: Type.Boolean(),
  atMs: Ms,
  tries: Type.Integer({ minimum: 1 }),
  error: Type.Optional(Type.String({ maxLength: 2000 })),
});
export type DeviceAck = Static<typeof DeviceAck>;

export const AckBatch = Strict({
  type: Type.Literal('acks'),
  batchId: Type.String({ minLength: 1, maxLength: 200 }),
  eventId: Type.String({ minLength: 1, maxLength: 128 }),
  acks: Type.Array(DeviceAck),
});
export type AckBatch = Static<typeof AckBatch>;

/** What the agent did without the control plane (lost link, or its own under-frequency trip). */
export const LocalShedReport = Strict({
  type: Type.Literal('local-shed'),
  reason: Type.Union([Type.Literal('control-plane-lost'), Type.Literal('under-frequency')]),
  /** The event whose plan was carried out; null for an under-frequency trip. */
  eventId: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()]),
  atMs: Ms,
  detail: Type.String({ maxLength: 2000 }),
  acks: Type.Array(DeviceAck),
});
export type LocalShedReport = Static<typeof LocalShedReport>;

export const FromAgent = Type.Union([AckBatch, LocalShedReport]);
export type FromAgent = Static<typeof FromAgent>;
