import { Ajv2020 } from 'ajv/dist/2020.js';

/**
 * Structural validation of an OpenAPI 3.1 document: the rules of the specification that a
 * JSON Schema can state (required fields, allowed keys' shapes, response codes, parameter
 * locations), plus the ones it cannot: every path template variable has a required path
 * parameter, no parameter twice, security names a declared scheme, every $ref resolves, and
 * every schema in it is a valid JSON Schema 2020-12 (3.1's dialect) that Ajv compiles.
 * Not the full official meta-schema (not vendored here); it returns problems as sentences.
 */

const Parameter = {
  type: 'object',
  required: ['name', 'in'],
  properties: {
    name: { type: 'string', minLength: 1 },
    in: { enum: ['query', 'header', 'path', 'cookie'] },
    required: { type: 'boolean' },
    description: { type: 'string' },
    schema: { type: ['object', 'boolean'] },
  },
  if: { properties: { in: { const: 'path' } } },
  then: { required: ['name', 'in', 'required'], properties: { required: { const: true } } },
};
const MediaTypes = { type: 'object', propertyNames: { pattern: '^[\\w.+*-]+/[\\w.+*-]+' }, additionalProperties: { type: 'object', properties: { schema: { type: ['object', 'boolean'] } } } };
const Operation = {
  type: 'object',
  required: ['responses'],
  properties: {
    tags: { type: 'array', items: { type: 'string' } },
    summary: { type: 'string' },
    description: { type: 'string' },
    operationId: { type: 'string' },
    parameters: { type: 'array', items: Parameter },
    requestBody: { type: 'object', required: ['content'], properties: { content: MediaTypes, required: { type: 'boolean' } } },
    responses: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^([1-5](\\d\\d|XX)|default)$' },
      additionalProperties: { type: 'object', required: ['description'], properties: { description: { type: 'string' }, content: MediaTypes } },
    },
    security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
    deprecated: { type: 'boolean' },
  },
};
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const Document = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+(-.+)?$' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' } } },
    paths: {
      type: 'object',
      propertyNames: { pattern: '^/' },
      additionalProperties: { type: 'object', properties: Object.fromEntries(METHODS.map((m) => [m, Operation])), propertyNames: { pattern: `^(${METHODS.join('|')}|parameters|summary|description|servers|\\$ref)$` } },
    },
    components: {
      type: 'object',
      properties: {
        schemas: { type: 'object', additionalProperties: { type: ['object', 'boolean'] } },
        securitySchemes: { type: 'object', additionalProperties: { type: 'object', required: ['type'], properties: { type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] } } } },
      },
    },
    tags: { type: 'array', items: { type: 'object', required: ['name'] } },
  },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Op {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Json }>;
  requestBody?: { content: Record<string, { schema?: Json }> };
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
  security?: Array<Record<string, string[]>>;
  operationId?: string;
}
interface Doc {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Op>>>;
  components?: { schemas?: Record<string, Json>; securitySchemes?: Record<string, unknown> };
}

function refsOf(node: Json, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refsOf(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  }
  return out;
}

function pointer(doc: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let cur: Json | undefined = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur && typeof cur === 'object' && !Array.isArray(cur) ? cur[key] : undefined;
  }
  return cur;
}

export function openapiProblems(input: unknown): string[] {
  const problems: string[] = [];
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  if (!ajv.validate(Document, input)) {
    for (const e of ajv.errors ?? []) problems.push(`document${e.instancePath} ${e.message}`);
    return problems;
  }
  const doc = input as Doc;
  const schemaAjv = new Ajv2020({ strict: false, validateFormats: false });
  for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) {
    try {
      schemaAjv.addSchema(s as object, `#/components/schemas/${name}`);
    } catch (err) {
      problems.push(`components.schemas.${name}: not a valid JSON Schema 2020-12: ${(err as Error).message}`);
    }
  }
  const compile = (where: string, schema: Json | undefined) => {
    if (schema === undefined) return;
    try {
      schemaAjv.compile({ ...(schema as object), $defs: undefined } as object);
    } catch (err) {
      problems.push(`${where}: the schema does not compile as JSON Schema 2020-12: ${(err as Error).message}`);
    }
  };
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    const vars = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const params = op.parameters ?? [];
      const seen = new Set<string>();
      for (const p of params) {
        const key = `${p.in}:${p.name}`;
        if (seen.has(key)) problems.push(`${where}: parameter ${p.name} in ${p.in} twice`);
        seen.add(key);
        if (p.in === 'path' && !vars.includes(p.name)) problems.push(`${where}: path parameter ${p.name} is not in the path template`);
        compile(`${where} parameter ${p.name}`, p.schema);
      }
      for (const v of vars) if (!params.some((p) => p.in === 'path' && p.name === v)) problems.push(`${where}: no path parameter for {${v}}`);
      for (const [type, m] of Object.entries(op.requestBody?.content ?? {})) compile(`${where} request body ${type}`, m.schema);
      for (const [code, r] of Object.entries(op.responses)) for (const [type, m] of Object.entries(r.content ?? {})) compile(`${where} response ${code} ${type}`, m.schema);
      for (const req of op.security ?? []) for (const name of Object.keys(req)) if (!doc.components?.securitySchemes?.[name]) problems.push(`${where}: security scheme ${name} is not declared`);
      if (op.operationId !== undefined) {
        if (operationIds.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} used twice`);
        operationIds.add(op.operationId);
      }
    }
  }
  for (const ref of refsOf(input as Json)) if (pointer(input as Json, ref) === undefined) problems.push(`$ref ${ref} does not resolve in the document`);
  return problems;
}
