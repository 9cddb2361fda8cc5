import { Type, type Static } from '@sinclair/typebox';
import { Strict } from '../lib/strict.ts';

/**
 * The site file's `actuators:` section: coarse power switches that cut many miners with one
 * command — switched PDUs (outlet control over SNMP) and rack or container breakers/relays
 * (Modbus coils). Each outlet or coil names the miners behind it. Emergencies may cut through
 * them; restores power them on within the inrush limit (DESIGN.md "Grid events").
 */

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

/**
 * Miners behind one outlet or coil: miner ids (`B1-m00042`) or inclusive ranges of one block
 * (`B1-m00001..B1-m00008`).
 */
export const MinerRefs = Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*-m\\d+(\\.\\.[A-Za-z0-9][A-Za-z0-9_.-]*-m\\d+)?$' }), { minItems: 1 });

/**
 * How much may be switched on at once: at most `maxStepKw` of load (nameplate of the miners
 * behind the outlets or coils switched) per step, steps `stepIntervalMs` apart, so the inrush
 * and the boot draw of one step settle before the next. `maxStepAmps` at `voltageV` is the same
 * limit as the breaker's nameplate gives it (kW = A × V / 1000); the smaller of the two holds.
 */
export const InrushLimit = Strict({
  maxStepKw: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  maxStepAmps: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  voltageV: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  stepIntervalMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
});
export type InrushLimit = Static<typeof InrushLimit>;

export const PduOutlet = Strict({
  outlet: Type.Integer({ minimum: 1, maximum: 512 }),
  miners: MinerRefs,
});

export const SwitchedPdu = Strict({
  id: Id,
  blockId: Id,
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 161 }),
  /** Name of an SNMP profile in agents/profiles/snmp/ that has `outletControl`. */
  profile: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$' }),
  version: Type.Union([Type.Literal('2c'), Type.Literal('3')], { default: '2c' }),
  /** v2c write community (default "private", the usual factory read-write community). */
  community: Type.Optional(Type.String({ minLength: 1 })),
  v3: Type.Optional(
    Strict({
      user: Type.String({ minLength: 1 }),
      authProtocol: Type.Union([Type.Literal('sha'), Type.Literal('sha256')]),
      authKey: Type.String({ minLength: 8 }),
      privProtocol: Type.Union([Type.Literal('aes'), Type.Literal('aes256')]),
      privKey: Type.String({ minLength: 8 }),
    }),
  ),
  /** Overrides the profile's default inrush limit. */
  inrush: Type.Optional(InrushLimit),
  outlets: Type.Array(PduOutlet, { minItems: 1 }),
});
export type SwitchedPdu = Static<typeof SwitchedPdu>;

export const RelayCoil = Strict({
  /** Coil number as the module's manual gives it (the profile's addressBase maps it to the wire). */
  coil: Type.Integer({ minimum: 0, maximum: 65535 }),
  miners: MinerRefs,
});

export const RelayModule = Strict({
  id: Id,
  blockId: Id,
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 502 }),
  unitId: Type.Integer({ minimum: 0, maximum: 247, default: 1 }),
  /** Name of a relay profile in agents/profiles/modbus/relays/. */
  profile: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$' }),
  inrush: Type.Optional(InrushLimit),
  coils: Type.Array(RelayCoil, { minItems: 1 }),
});
export type RelayModule = Static<typeof RelayModule>;

export const Actuators = Strict({
  pdus: Type.Array(SwitchedPdu, { default: [] }),
  relays: Type.Array(RelayModule, { default: [] }),
});
export type Actuators = Static<typeof Actuators>;
