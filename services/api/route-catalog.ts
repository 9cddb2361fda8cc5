import fp from 'fastify-plugin';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';

/**
 * Every route the app registered, with its schemas and access: what the fuzz test
 * (test/unit/api-fuzz.test.ts) generates requests from, so a new route is fuzzed without
 * anyone listing it. Registered first, so its onRoute hook sees every later route.
 */

export interface CatalogRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
  access: unknown;
  websocket: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeCatalog: CatalogRoute[];
  }
}

export const routeCatalog = fp(
  async (app: FastifyInstance) => {
    const routes: CatalogRoute[] = [];
    app.decorate('routeCatalog', routes);
    app.addHook('onRoute', (route: RouteOptions & { websocket?: boolean }) => {
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        routes.push({ method, url: route.url, schema: route.schema, access: route.config?.access, websocket: route.websocket === true });
      }
    });
  },
  { name: 'switchyard-route-catalog' },
);
