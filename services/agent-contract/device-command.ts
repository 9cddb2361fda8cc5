import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../lib/strict.ts';

/**
 * A command the curtailment engine asks a site agent to run on one device. Shared by the shed
 * plan, the restore plan and the event record, so one schema covers the queue and the API.
 */
export const DeviceAction = Type.Union([
  Type.Literal('sleep'),
  Type.Literal('set-power-target'),
  Type.Literal('gpu-power-cap'),
  Type.Literal('wake'),
  // Coarse actuators: the device is a PDU outlet or relay coil (`pdu-1/o3`, `relay-2/c0`)
  // and every miner behind it loses (or gets back) its power at once.
  Type.Literal('power-off'),
  Type.Literal('power-on'),
]);
export type DeviceAction = Static<typeof DeviceAction>;

export const DeviceCommand = Strict({
  deviceId: Type.String({ minLength: 1, maxLength: 128 }),
  blockId: Type.String({ minLength: 1 }),
  action: DeviceAction,
  /** For set-power-target: the miner's power target; for gpu-power-cap: the host's total cap, W. */
  targetW: Type.Optional(Type.Number({ minimum: 0 })),
  /** Expected change in the device's draw, W: negative when shedding, positive when restoring. */
  expectedDeltaW: Type.Number(),
});
export type DeviceCommand = Static<typeof DeviceCommand>;
