import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FinanceApi } from '../../finance/finance-service.ts';
import type { GroupBy } from '../../finance/ledger-store.ts';
import { covenantsCsv, dayRange, debtCsv, marginsCsv, marginsReport, RangeProblem } from '../../finance/report.ts';
import { errorMessage } from '../../lib/errors.ts';
import { Strict } from '../../lib/strict.ts';
import { ApiError } from '../errors.ts';
import { NoQuery } from '../schemas.ts';

/**
 * Finance (issue 11): realised margins from the ledger, the company's debt exposure and its
 * covenants, each as JSON or ?format=csv (cells that start with = + - @ are escaped). The
 * detail is for the finance and admin roles; any reader gets the summary. Unknown query keys
 * are 400 (strict schemas); an impossible range is 422 with the reason.
 */

// AppDeps gains its finance dependency here, so app.ts needs only the register line.
declare module '../app.ts' {
  interface AppDeps {
    /** The finance ledger and debt reports (services/finance/finance-service.ts); 503 without. */
    finance?: FinanceApi;
  }
}

const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')]));
const MarginsQuery = Strict({
  from: Type.String(),
  to: Type.String(),
  /** hour: today's provisional hourly rows (closed days keep day rows only). */
  groupBy: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('contract'), Type.Literal('day'), Type.Literal('hour')])),
  /** One block only (its days, say, with groupBy=day). */
  block: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })),
  format: Format,
});
const FormatQuery = Strict({ format: Format });
const FINANCE = ['finance', 'admin'] as const;
const DAY = 86_400_000;
const pageDir = fileURLToPath(new URL('../../../dashboards/finance/', import.meta.url));
const sharedDir = fileURLToPath(new URL('../../../dashboards/shared/', import.meta.url));

export async function financeRoutes(app: FastifyInstance, opts: { finance: FinanceApi | null }): Promise<void> {
  const finance = () => {
    if (!opts.finance) throw new ApiError('E_UNAVAILABLE', 'the finance ledger is not running in this process');
    return opts.finance;
  };
  const debt = () => {
    try {
      return finance().debt();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('E_UNAVAILABLE', `debt exposure: ${errorMessage(err)}`, { cause: err });
    }
  };
  // The finance page (one ES module) and the helpers pages share; pages carry no data.
  await app.register(fastifyStatic, { root: pageDir, prefix: '/finance/', wildcard: false, index: ['index.html'], decorateReply: false, redirect: true });
  await app.register(fastifyStatic, { root: sharedDir, prefix: '/shared/', wildcard: false, decorateReply: false });

  const csv = (reply: FastifyReply, name: string, body: string) =>
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(body);

  app.get<{ Querystring: Static<typeof MarginsQuery> }>(
    '/api/finance/margins',
    { config: { access: FINANCE }, schema: { querystring: MarginsQuery } },
    async (req, reply) => {
      let range: { fromMs: number; toMs: number };
      try {
        range = dayRange(req.query.from, req.query.to);
      } catch (err) {
        if (err instanceof RangeProblem) throw new ApiError('E_UNPROCESSABLE', err.message);
        throw err;
      }
      const groupBy: GroupBy = req.query.groupBy ?? 'block';
      const r = marginsReport(range.fromMs, range.toMs, groupBy, finance().ledger.margins(range.fromMs, range.toMs, groupBy, req.query.block));
      return req.query.format === 'csv' ? csv(reply, `margins-${r.from}-${r.to}-by-${groupBy}`, marginsCsv(r)) : r;
    },
  );

  app.get<{ Querystring: Static<typeof FormatQuery> }>('/api/finance/debt', { config: { access: FINANCE }, schema: { querystring: FormatQuery } }, async (req, reply) => {
    const r = debt();
    return req.query.format === 'csv' ? csv(reply, `debt-service-${r.asOf}`, debtCsv(r)) : r;
  });

  app.get<{ Querystring: Static<typeof FormatQuery> }>('/api/finance/covenants', { config: { access: FINANCE }, schema: { querystring: FormatQuery } }, async (req, reply) => {
    const r = debt();
    if (req.query.format === 'csv') return csv(reply, `covenants-${r.asOf}`, covenantsCsv(r.covenants, r.btcPriceUsd));
    return { asOf: r.asOf, btcPriceUsd: r.btcPriceUsd, hashpriceUsdPerPhDay: r.hashpriceUsdPerPhDay, covenants: r.covenants, btcLoans: r.btcLoans, assumptions: r.assumptions };
  });

  // Viewers: the headline only — yesterday's and the last week's margin, total debt, how many
  // covenants break on the forward model and the nearest break price.
  app.get('/api/finance/summary', { config: { access: 'read' }, schema: { querystring: NoQuery } }, async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    const f = finance();
    const day = marginsReport(today - DAY, today, 'day', f.ledger.margins(today - DAY, today, 'day')).total;
    const week = marginsReport(today - 7 * DAY, today, 'day', f.ledger.margins(today - 7 * DAY, today, 'day')).total;
    let debtSummary: Record<string, unknown> = { available: false };
    try {
      const r = f.debt();
      const priced = r.covenants.filter((c) => c.breaksAtBtcUsd !== null);
      const nearest = priced.reduce<(typeof priced)[number] | null>((best, c) => (best === null || c.breaksAtBtcUsd! > best.breaksAtBtcUsd! ? c : best), null);
      debtSummary = {
        available: true,
        totalDebtUsd: r.totalDebtUsd,
        btcPriceUsd: r.btcPriceUsd,
        covenantsInBreach: r.covenants.filter((c) => c.firstBreach !== null).length,
        nearestBreak: nearest && { instrumentId: nearest.instrumentId, kind: nearest.kind, breaksAtBtcUsd: nearest.breaksAtBtcUsd },
      };
    } catch (err) {
      debtSummary = { available: false, reason: errorMessage(err) };
    }
    return {
      yesterday: day && { marginUsd: day.marginUsd, marginUsdPerMwDay: day.marginUsdPerMwDay, provisional: day.provisional },
      last7Days: week && { marginUsd: week.marginUsd, marginUsdPerMwDay: week.marginUsdPerMwDay, days: week.days },
      debt: debtSummary,
    };
  });
}
