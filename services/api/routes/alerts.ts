import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { NoQuery } from '../schemas.ts';

/** GET /api/alerts: active alerts (oldest first) and recently cleared ones (newest first). */
export async function alertRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/alerts', { config: { access: 'read' }, schema: { querystring: NoQuery } }, async () => {
    const book = app.services.alerts;
    if (book === null) throw new ApiError('E_UNAVAILABLE', 'alerts are not evaluated in this process');
    return book.list();
  });
}
