import { Type, type TProperties, type ObjectOptions } from '@sinclair/typebox';

/** Every config object and wire message rejects unknown keys. */
export const Strict = <T extends TProperties>(props: T, opts: ObjectOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });
