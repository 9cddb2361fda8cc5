import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const aiDir = fileURLToPath(new URL('../../../dashboards/ai/', import.meta.url));

/** The AI hall page at /ai/ (dashboards/ai). The page carries no data; it reads the API. */
export async function aiPageRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: aiDir, prefix: '/ai/', decorateReply: false, index: ['index.html'] });
}
