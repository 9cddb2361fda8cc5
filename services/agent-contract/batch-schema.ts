import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../lib/strict.ts';

/**
 * What a site agent ships to the control plane's ingest endpoint.
 * Metric names are snake_case with the unit as suffix (power_w, hashrate_hs, energy_wh,
 * temp_c, fan_rpm, frequency_hz, voltage_v, current_a). A device that did not answer is
 * status "offline" with no metrics: offline is a state, never a zero.
 */
/**
 * What a reading is about. miner, meter and gpu mean something to the control plane (site
 * power, curtailment); any other kind (pdu, cooling, ups …) is one an agent driver declares
 * (agents/drivers/registry.ts), so a new kind of device needs no change here.
 */
export const DeviceKind = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' });
export type DeviceKind = Static<typeof DeviceKind>;

export const Reading = Strict({
  deviceId: Type.String({ minLength: 1, maxLength: 128 }),
  kind: DeviceKind,
  blockId: Type.Optional(Type.String()),
  atMs: Type.Integer({ minimum: 0 }),
  status: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('error')]),
  error: Type.Optional(Type.String({ maxLength: 2000 })),
  metrics: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), Type.Number()),
  /** Non-numeric facts: make, model, firmware, mode (mining | sleeping). */
  labels: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]*$' }), Type.String({ maxLength: 256 }))),
});
export type Reading = Static<typeof Reading>;

export const AgentBatch = Strict({
  agentId: Type.String({ minLength: 1, maxLength: 128 }),
  siteId: Type.String({ minLength: 1 }),
  /** Monotonic per agent; the control plane acknowledges by seq so replays are idempotent. */
  seq: Type.Integer({ minimum: 0 }),
  sentAtMs: Type.Integer({ minimum: 0 }),
  readings: Type.Array(Reading, { maxItems: 200000 }),
});
export type AgentBatch = Static<typeof AgentBatch>;

export const IngestAck = Strict({
  accepted: Type.Integer(),
  duplicate: Type.Boolean(),
  seq: Type.Integer(),
  /** Readings refused, by reason (another agent's device, dated ahead, value out of bounds); absent when none. */
  rejected: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0 }))),
});
export type IngestAck = Static<typeof IngestAck>;
