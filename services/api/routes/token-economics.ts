import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ContextError } from '../../lib/errors.ts';
import { blockEconomics } from '../../inference/block-economics.ts';
import { loadAccelerators, type Accelerator } from '../../inference/catalog.ts';
import { ApiError } from '../errors.ts';

/**
 * GET /api/ai/economics?block=ID[&powerPriceUsdPerMwh=N][&hashpriceUsdPerPhDay=N]: cost per
 * million tokens per accelerator for the block beside mining margin and lease rent per MW.
 */
const Query = Type.Object(
  {
    block: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    powerPriceUsdPerMwh: Type.Optional(Type.String({ pattern: '^\\d+(\\.\\d+)?$' })),
    hashpriceUsdPerPhDay: Type.Optional(Type.String({ pattern: '^\\d+(\\.\\d+)?$' })),
  },
  { additionalProperties: false },
);

export async function tokenEconomicsRoutes(app: FastifyInstance): Promise<void> {
  let catalog: Map<string, Accelerator> | undefined;
  app.get('/api/ai/economics', { config: { access: 'read' }, schema: { querystring: Query } }, async (req) => {
    const q = req.query as { block: string; powerPriceUsdPerMwh?: string; hashpriceUsdPerPhDay?: string };
    catalog ??= loadAccelerators();
    try {
      return blockEconomics(app.services.site, q.block, catalog, {
        ...(q.powerPriceUsdPerMwh !== undefined ? { powerPriceUsdPerMwh: Number(q.powerPriceUsdPerMwh) } : {}),
        ...(q.hashpriceUsdPerPhDay !== undefined ? { hashpriceUsdPerPhDay: Number(q.hashpriceUsdPerPhDay) } : {}),
      });
    } catch (err) {
      if (err instanceof ContextError && err.code === 'E_ECONOMICS_INPUT') throw new ApiError('E_UNPROCESSABLE', err.message);
      throw err;
    }
  });
}
