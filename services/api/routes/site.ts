import type { FastifyInstance } from 'fastify';
import { NoQuery, SiteViewSchema, responses } from '../schemas.ts';

export async function siteRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/site',
    { config: { access: 'read' }, schema: { querystring: NoQuery, response: responses({ 200: SiteViewSchema }) } },
    async () => app.services.viewer.view(),
  );
}
