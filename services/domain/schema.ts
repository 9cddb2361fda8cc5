import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';

/**
 * The one validator for every boundary (site config, API bodies, agent batches).
 * Schemas are TypeBox (JSON Schema); objects are built with additionalProperties:false
 * so unknown keys are rejected, never silently dropped (removeAdditional is off).
 */
export const ajv = new Ajv({
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  coerceTypes: false,
  strict: false,
  discriminator: true,
  // parentSchema on errors lets a failed tagged union list the tags it accepts.
  verbose: true,
});
const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
addFormats(ajv);

export interface SchemaIssue {
  /** JSON pointer of the offending value, e.g. /blocks/2/capacityMw */
  path: string;
  message: string;
}

export function describeIssues(errors: ErrorObject[] | null | undefined): SchemaIssue[] {
  return (errors ?? []).map((e) => {
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      return { path: `${e.instancePath}/${key}`, message: `unknown key "${key}"` };
    }
    if (e.keyword === 'required') {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return { path: `${e.instancePath}/${key}`, message: `missing required key "${key}"` };
    }
    if (e.keyword === 'discriminator') {
      const { tag, tagValue } = e.params as { tag: string; tagValue?: unknown };
      const branches = ((e.parentSchema as { oneOf?: Array<{ properties?: Record<string, { const?: unknown }> }> })?.oneOf ?? []);
      const allowed = branches.map((b) => b.properties?.[tag]?.const).filter((v) => v !== undefined);
      if (tagValue === undefined) return { path: `${e.instancePath}/${tag}`, message: `missing required key "${tag}"` };
      return { path: `${e.instancePath}/${tag}`, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return { path: e.instancePath, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    return { path: e.instancePath, message: e.message ?? e.keyword };
  });
}

const cache = new WeakMap<TSchema, ValidateFunction>();

export function validator<S extends TSchema>(schema: S): ValidateFunction<Static<S>> {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    cache.set(schema, fn);
  }
  return fn as ValidateFunction<Static<S>>;
}

export class ValidationError extends Error {
  readonly issues: SchemaIssue[];
  constructor(what: string, issues: SchemaIssue[]) {
    super(`${what}: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** Validate once at a boundary; throws ValidationError naming every bad key. */
export function check<S extends TSchema>(schema: S, value: unknown, what: string): Static<S> {
  const fn = validator(schema);
  if (!fn(value)) throw new ValidationError(what, describeIssues(fn.errors));
  return value as Static<S>;
}
