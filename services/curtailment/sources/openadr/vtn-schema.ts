import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The VTN's JSON as the VEN reads it (OpenADR 3.0.1 openadr3.yaml, components/schemas).
 * Unlike our own boundaries these schemas accept keys they do not name: the specification
 * lets a VTN add content ("Message validation": content not described MAY be ignored) and a
 * 3.1 VTN sends fields 3.0.1 lacks (event.duration, program.attributes). Rejecting them would
 * make every VTN upgrade an outage. Optional fields may be null (the specification's
 * "nullable: true, default: null").
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
const ObjectId = Type.String({ minLength: 1, maxLength: 128 });

export const IntervalPeriod = Type.Object({
  // Required by the YAML, but the User Guide's own examples (7.4) give an interval a
  // duration alone and let its start follow the previous interval.
  start: Type.Optional(Type.String({ minLength: 1 })),
  duration: Nullable(Type.String({ minLength: 1 })),
  randomizeStart: Nullable(Type.String()),
});
export type IntervalPeriod = Static<typeof IntervalPeriod>;

export const ValuesMap = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 128 }),
  values: Type.Array(Type.Unknown()),
});
export type ValuesMap = Static<typeof ValuesMap>;

export const PayloadDescriptor = Type.Object({
  objectType: Nullable(Type.String()),
  payloadType: Type.String({ minLength: 1, maxLength: 128 }),
  units: Nullable(Type.String()),
});
export type PayloadDescriptor = Static<typeof PayloadDescriptor>;

export const Interval = Type.Object({
  id: Type.Integer(),
  intervalPeriod: Nullable(IntervalPeriod),
  payloads: Type.Array(ValuesMap),
});
export type Interval = Static<typeof Interval>;

export const Program = Type.Object({
  id: ObjectId,
  programName: Type.String({ minLength: 1, maxLength: 128 }),
  payloadDescriptors: Nullable(Type.Array(PayloadDescriptor)),
});
export type Program = Static<typeof Program>;

export const Event = Type.Object({
  id: ObjectId,
  programID: ObjectId,
  eventName: Nullable(Type.String()),
  modificationDateTime: Nullable(Type.String()),
  /** Lower is more urgent; 0 is the highest. */
  priority: Nullable(Type.Integer({ minimum: 0 })),
  payloadDescriptors: Nullable(Type.Array(PayloadDescriptor)),
  intervalPeriod: Nullable(IntervalPeriod),
  /** 3.1: shortens or lengthens the event's span. */
  duration: Nullable(Type.String({ minLength: 1 })),
  intervals: Type.Array(Interval),
});
export type Event = Static<typeof Event>;

export const TokenResponse = Type.Object({
  access_token: Type.String({ minLength: 1, maxLength: 4096 }),
  // The specification says "must be Bearer"; RFC 6749 makes the comparison case-insensitive.
  token_type: Type.String({ pattern: '^[Bb][Ee][Aa][Rr][Ee][Rr]$' }),
  expires_in: Type.Optional(Type.Number({ minimum: 0 })),
});
export type TokenResponse = Static<typeof TokenResponse>;

/** What the VEN POSTs to /reports (report, without the VTN-provisioned fields). */
export interface ReportRequest {
  programID: string;
  eventID: string;
  clientName: string;
  reportName?: string;
  payloadDescriptors?: Array<{ payloadType: string; readingType?: string; units?: string }>;
  resources: Array<{
    resourceName: string;
    intervalPeriod?: { start: string; duration?: string };
    intervals: Array<{ id: number; intervalPeriod?: { start: string; duration?: string }; payloads: Array<{ type: string; values: Array<number | string> }> }>;
  }>;
}
