import '../support/quiet-logs.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { harness, type Harness } from '../support/api-harness.ts';
import { openapiProblems } from '../support/openapi-check.ts';

/** The OpenAPI document: generated from the route schemas, valid, and listing every API route. */
describe('OpenAPI document', () => {
  let h: Harness;
  let doc: { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; description?: string }>> };
  before(async () => {
    h = await harness({ planner: { sitePath: 'infra/sites/demo.yaml' } });
    const res = await h.call({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json();
  });
  after(() => h.close());

  it('validates as OpenAPI 3.1', () => {
    assert.match(doc.openapi, /^3\.1\./);
    assert.deepEqual(openapiProblems(doc), []);
  });

  it('the checker does catch a broken document', () => {
    const noParam = structuredClone(doc) as unknown as { paths: Record<string, Record<string, unknown>> };
    noParam.paths['/api/tokens/{id}']!.delete = { ...(noParam.paths['/api/tokens/{id}']!.delete as object), parameters: [] };
    assert.deepEqual(openapiProblems(noParam), ['DELETE /api/tokens/{id}: no path parameter for {id}']);
    const badCode = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    badCode.paths['/api/site']!.get!.responses['2xx'] = { description: 'x' };
    assert.ok(openapiProblems(badCode).some((p) => /responses must match pattern/.test(p)));
    const draft7 = structuredClone(doc) as unknown as { components: { schemas: Record<string, unknown> } };
    draft7.components = { schemas: { T: { type: 'array', items: [{ type: 'number' }, 7] } } };
    assert.ok(openapiProblems(draft7).some((p) => /must be object,boolean/.test(p)), 'a draft-07 tuple with a bad member is caught');
  });

  it('every API route has a schema and is in the document; pages are not', () => {
    const api = h.app.apiDocRoutes.filter((r) => r.api);
    assert.ok(api.length >= 15, `only ${api.length} API routes seen`);
    const missing: string[] = [];
    for (const r of api) {
      if (!r.hasSchema) missing.push(`${r.method} ${r.url}: no schema`);
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      if (!doc.paths[path]?.[r.method.toLowerCase()]) missing.push(`${r.method} ${r.url}: not in the document`);
    }
    assert.deepEqual(missing, []);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.equal(documented.length, api.length, 'nothing in the document that is not a route');
    for (const page of h.app.apiDocRoutes.filter((r) => !r.api)) assert.equal(doc.paths[page.url], undefined, `page ${page.url} is not API`);
  });

  it('says who may call each operation', () => {
    assert.deepEqual(doc.paths['/api/tokens']!.get!.security, [{ bearer: [] }]);
    assert.match(doc.paths['/api/tokens']!.get!.description!, /role: admin/);
    assert.deepEqual(doc.paths['/api/site']!.get!.security, [{}, { bearer: [] }]);
    assert.deepEqual(doc.paths['/metrics']!.get!.security, [{}, { bearer: [] }]);
    assert.deepEqual(doc.paths['/api/openapi.json']!.get!.security, []);
    assert.match(doc.paths['/api/live']!.get!.description!, /WebSocket/);
  });
});
