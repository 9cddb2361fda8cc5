import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { BlockState } from '../domain/site-schema.ts';
import { errorResponses } from './errors.ts';

/** Response shapes shared by several routes (GET /api/site and the /api/live websocket). */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Obj = <T extends Parameters<typeof Type.Object>[0]>(props: T) => Type.Object(props, { additionalProperties: false });

export const DeviceCountsSchema = Obj({
  online: Type.Integer(),
  sleeping: Type.Integer(),
  offline: Type.Integer(),
  stale: Type.Integer(),
  unseen: Type.Integer(),
});

/** Spec-sheet figures of the installed devices (services/domain/site.ts). */
export const NominalSchema = Obj({
  /** IT draw of the devices, W. */
  itPowerW: Type.Number(),
  /** IT draw × overhead: at the meter, W. */
  grossPowerW: Type.Number(),
  hashrateHs: Type.Number(),
  minerCount: Type.Integer(),
  gpuCount: Type.Integer(),
  efficiencyJPerTh: Nullable(Type.Number()),
});

export const BlockCurtailmentSchema = Obj({ eventId: Type.String(), status: Type.String(), devicesHeld: Type.Integer() });

/** A curtailment event in force (services/api/curtailment-view.ts). */
export const EventInForceSchema = Obj({
  eventId: Type.String(),
  status: Type.String(),
  program: Type.String(),
  programName: Nullable(Type.String()),
  targetMw: Nullable(Type.Number()),
  shedMw: Nullable(Type.Number()),
  devicesHeld: Type.Integer(),
  note: Nullable(Type.String()),
  /** Set when the target is below what the site can reach: where the event holds, MW, and why. */
  floorMw: Nullable(Type.Number()),
  floorReason: Nullable(Type.String()),
});

export const BlockViewSchema = Obj({
  id: Type.String(),
  name: Type.String(),
  state: BlockState,
  capacityMw: Type.Number(),
  contractId: Nullable(Type.String()),
  powerW: Nullable(Type.Number()),
  powerMw: Nullable(Type.Number()),
  powerSource: Nullable(Type.String()),
  hashrateHs: Nullable(Type.Number()),
  nominal: NominalSchema,
  miners: DeviceCountsSchema,
  devices: DeviceCountsSchema,
  lastReadingAtMs: Nullable(Type.Integer()),
  /** What the block is doing now: `curtailed` while events hold all its miners off, else its site-file state. */
  stateNow: BlockState,
  /** Curtailment events holding devices of this block off now (empty: none). */
  curtailment: Type.Array(BlockCurtailmentSchema),
});
export type BlockView = Static<typeof BlockViewSchema>;

const PerState = <T extends TSchema>(t: T) =>
  Obj({ mining: t, ai: t, curtailed: t, converting: t });

export const SiteViewSchema = Obj({
  site: Obj({ id: Type.String(), name: Type.String(), timezone: Type.String(), importLimitMw: Type.Number() }),
  generatedAtMs: Type.Integer(),
  version: Type.Integer(),
  totals: Obj({
    powerW: Nullable(Type.Number()),
    powerMw: Nullable(Type.Number()),
    powerSource: Nullable(Type.String()),
    hashrateHs: Nullable(Type.Number()),
    capacityMw: Type.Number(),
    nominal: NominalSchema,
    /** By what each block does now: power of devices held off by curtailment is in `curtailed`. */
    powerByStateMw: PerState(Nullable(Type.Number())),
    capacityByStateMw: PerState(Type.Number()),
    miners: DeviceCountsSchema,
    devices: DeviceCountsSchema,
    lastReadingAtMs: Nullable(Type.Integer()),
  }),
  blocks: Type.Array(BlockViewSchema),
  /** Curtailment in force now: the events holding devices off (empty: none). */
  curtailment: Obj({ inForce: Type.Boolean(), events: Type.Array(EventInForceSchema) }),
});
export type SiteView = Static<typeof SiteViewSchema>;

/** Every route's response map: its success bodies plus the error body for 4xx and 5xx. */
export function responses<T extends Record<number, TSchema>>(ok: T): T & typeof errorResponses {
  return { ...ok, ...errorResponses };
}

/** The querystring of a route that takes none: unknown keys are rejected like anywhere else. */
export const NoQuery = Type.Object({}, { additionalProperties: false });
