import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { NoQuery } from '../schemas.ts';

const dashboardDir = fileURLToPath(new URL('../../../dashboards/operator/', import.meta.url));
const apexchartsPath = createRequire(import.meta.url).resolve('apexcharts/dist/apexcharts.min.js');

/** The operator page at / and the one vendored script it needs. Pages carry no data. */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: dashboardDir, prefix: '/', wildcard: false, index: ['index.html'] });
  app.get(
    '/vendor/apexcharts.min.js',
    { schema: { querystring: NoQuery, response: { 200: Type.String() } } },
    async (_req, reply) => {
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400');
      return reply.send(createReadStream(apexchartsPath));
    },
  );
}
