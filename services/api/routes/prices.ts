import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NoQuery, responses } from '../schemas.ts';

/**
 * GET /api/prices/live: the live price feed's state for the operator page (last realised price,
 * its interval, when it arrived, its age, stale or not, the last read error) and the price-strike
 * rule's state when the site has one. `feed` is null when the site file has no livePrices
 * section (a state, not an error: the page then shows no price card).
 */

const Interval = Type.Object(
  {
    startMs: Type.Integer({ description: 'interval start, UTC ms' }),
    minutes: Type.Integer({ minimum: 1 }),
    priceUsdPerMwh: Type.Number(),
  },
  { additionalProperties: false },
);

const FeedSchema = Type.Object(
  {
    source: Type.String(),
    settlementPoint: Type.String(),
    last: Type.Union([Interval, Type.Null()]),
    receivedAtMs: Type.Union([Type.Integer(), Type.Null()]),
    ageMs: Type.Integer({ minimum: 0, description: 'since the last new price (or since the feed started, before the first)' }),
    staleAfterMs: Type.Integer({ minimum: 1 }),
    stale: Type.Boolean(),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const LivePricesSchema = Type.Object(
  {
    feed: Type.Union([FeedSchema, Type.Null()]),
    priceStrike: Type.Union([
      Type.Object(
        {
          strikeUsdPerMwh: Type.Number(),
          curtailed: Type.Boolean(),
          eventId: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);

export async function priceRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/prices/live', { config: { access: 'read' }, schema: { querystring: NoQuery, response: responses({ 200: LivePricesSchema }) } }, async () => {
    const feed = app.services.livePrices;
    const s = feed?.status();
    const strike = app.services.priceStrike;
    return {
      feed: s ? { ...s, ageMs: Math.round(s.ageMs) } : null,
      priceStrike: strike ? { strikeUsdPerMwh: strike.strikeUsdPerMwh, curtailed: strike.source.curtailed, eventId: strike.source.eventId ?? null } : null,
    };
  });
}
