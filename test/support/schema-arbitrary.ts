import fc from 'fast-check';

/**
 * fast-check arbitraries from the JSON Schemas (TypeBox) the API declares, for the fuzz test:
 * `valid` builds values the schema accepts (mostly: cross-field rules such as "exactly one of"
 * are not solved), `hostile` mixes those with mutations (one leaf replaced by an extreme
 * value) and arbitrary JSON. A keyword this file does not know throws, naming it, so a route
 * with a schema nobody can generate from fails the test instead of being skipped.
 */

type Schema = Record<string, unknown>;

const KNOWN = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'patternProperties', 'items', 'minItems', 'maxItems', 'uniqueItems',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'format', 'const', 'enum',
  'anyOf', 'oneOf', 'allOf', 'description', 'default', 'title', 'discriminator', '$id', 'examples', 'minProperties', 'maxProperties',
]);

const MAX_ITEMS = 4;
const BIG = 2 ** 31 - 1;

function intArb(min: number, max: number): fc.Arbitrary<number> {
  if (min >= -BIG && max <= BIG) return fc.integer({ min, max });
  return fc.oneof(fc.integer({ min: Math.max(min, -BIG), max: Math.min(max, BIG) }), fc.double({ min, max, noNaN: true }).map((x) => Math.min(max, Math.max(min, Math.round(x)))));
}

function stringArb(s: Schema): fc.Arbitrary<string> {
  const minLength = (s.minLength as number | undefined) ?? 0;
  const maxLength = Math.min((s.maxLength as number | undefined) ?? 40, Math.max(minLength, 40));
  if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length >= minLength && x.length <= ((s.maxLength as number | undefined) ?? Infinity));
  switch (s.format) {
    case 'date-time':
      return fc.date({ min: new Date(0), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc.date({ min: new Date(0), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case 'uri':
      return fc.webUrl();
    case undefined:
      return fc.string({ minLength, maxLength });
    default:
      throw new Error(`no generator for string format "${String(s.format)}"`);
  }
}

export function valid(schema: unknown, depth = 0): fc.Arbitrary<unknown> {
  const s = (schema ?? {}) as Schema;
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`no generator for schema keyword "${k}" in ${JSON.stringify(s).slice(0, 200)}`);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if (Array.isArray(s.anyOf)) return fc.oneof(...(s.anyOf as unknown[]).map((b) => valid(b, depth + 1)));
  if (Array.isArray(s.oneOf) && s.type === undefined) return fc.oneof(...(s.oneOf as unknown[]).map((b) => valid(b, depth + 1)));
  if (Array.isArray(s.oneOf)) return fc.oneof(...(s.oneOf as Schema[]).map((b) => valid({ ...b, type: s.type }, depth + 1)));
  switch (s.type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set((s.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = valid(v, depth + 1);
      const fixed = fc.record(record, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
      const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, unknown>);
      if (patterns.length === 0) return fixed;
      const [pattern, value] = patterns[0]!;
      const extra = fc.dictionary(fc.stringMatching(new RegExp(pattern)), valid(value, depth + 1), { maxKeys: MAX_ITEMS });
      return fc.tuple(fixed, extra).map(([a, b]) => ({ ...b, ...(a as object) }));
    }
    case 'array': {
      const minLength = (s.minItems as number | undefined) ?? 0;
      return fc.array(valid(s.items, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min((s.maxItems as number | undefined) ?? MAX_ITEMS, depth > 2 ? 1 : MAX_ITEMS)) });
    }
    case 'string':
      return stringArb(s);
    case 'integer': {
      const min = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : ((s.minimum as number | undefined) ?? -1e15);
      const max = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : ((s.maximum as number | undefined) ?? 1e15);
      return intArb(Math.ceil(min), Math.floor(max));
    }
    case 'number': {
      const min = (s.exclusiveMinimum as number | undefined) ?? (s.minimum as number | undefined) ?? -1e12;
      const max = (s.exclusiveMaximum as number | undefined) ?? (s.maximum as number | undefined) ?? 1e12;
      return fc.double({ min, max, noNaN: true, minExcluded: s.exclusiveMinimum !== undefined, maxExcluded: s.exclusiveMaximum !== undefined });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case undefined:
      // Type.Unknown(): anything.
      return fc.jsonValue({ maxDepth: 3 });
    default:
      throw new Error(`no generator for schema type ${JSON.stringify(s.type)}`);
  }
}

/** Values no sane client sends: where a 500 hides. */
export const extreme: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  1e308, -1e308, 2 ** 53 + 2, -1, 0, -0, 0.5, 8.64e15 + 1, '', ' ', 'x'.repeat(5000), null, true, [], {}, [[[[[[]]]]]],
  '=HYPERLINK("http://e.example")', '../../etc/passwd', 'B1-m00001', 'M-REV', '1e308', 'NaN', '\u0000', '__proto__', { __proto__: { polluted: 1 } },
);

function leafPaths(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => leafPaths(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leafPaths(x, [...path, k], out);
  return out;
}

function replaceAt(v: unknown, path: (string | number)[], x: unknown): unknown {
  if (path.length === 0) return x;
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.map((y, i) => (i === head ? replaceAt(y, rest, x) : y));
  return { ...(v as object), [head as string]: replaceAt((v as Record<string, unknown>)[head as string], rest, x) };
}

/** Valid values, the same with one node replaced by an extreme value or an extra key, and arbitrary JSON. */
export function hostile(schema: unknown): fc.Arbitrary<unknown> {
  const v = valid(schema);
  const mutated = fc.tuple(v, fc.nat(), extreme, fc.boolean()).map(([value, n, x, addKey]) => {
    const paths = leafPaths(value);
    const path = paths[n % paths.length]!;
    if (addKey && value !== null && typeof value === 'object' && !Array.isArray(value)) return { ...value, unexpectedKey: x };
    return replaceAt(value, path, x);
  });
  return fc.oneof({ arbitrary: v, weight: 4 }, { arbitrary: mutated, weight: 4 }, { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 1 });
}
