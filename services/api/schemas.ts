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
    powerByStateMw: PerState(Nullable(Type.Number())),
    capacityByStateMw: PerState(Type.Number()),
    miners: DeviceCountsSchema,
    devices: DeviceCountsSchema,
    lastReadingAtMs: Nullable(Type.Integer()),
  }),
  blocks: Type.Array(BlockViewSchema),
});
export type SiteView = Static<typeof SiteViewSchema>;

/** Every route's response map: its success bodies plus the error body for 4xx and 5xx. */
export function responses<T extends Record<number, TSchema>>(ok: T): T & typeof errorResponses {
  return { ...ok, ...errorResponses };
}

/** The querystring of a route that takes none: unknown keys are rejected like anywhere else. */
export const NoQuery = Type.Object({}, { additionalProperties: false });
