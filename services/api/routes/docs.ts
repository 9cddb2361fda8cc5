import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const docsDir = fileURLToPath(new URL('../../../dashboards/api-docs/', import.meta.url));

/** The API docs page at /docs/: it renders /api/openapi.json. Pages carry no data. */
export async function docsRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: docsDir, prefix: '/docs/', wildcard: false, index: ['index.html'], decorateReply: false, redirect: true });
}
