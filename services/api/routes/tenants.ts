import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ContextError } from '../../lib/errors.ts';
import { monthsBetween } from '../../tenants/contract.ts';
import { roundPct, type TenantLedger } from '../../tenants/ledger.ts';
import { creditPctFor, statementCsv, statementFor } from '../../tenants/statement.ts';
import { ApiError } from '../errors.ts';

/**
 * Tenants and their monthly statements (services/tenants):
 *   GET /api/tenants[?month=YYYY-MM]  each contract with the month's availability so far,
 *                                     its commitment and the credit at risk;
 *   GET /api/tenants/:id/statement?month=YYYY-MM[&format=csv]
 */
const MonthQuery = Type.Object({ month: Type.Optional(Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' })) }, { additionalProperties: false });
const StatementQuery = Type.Object(
  { month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }), format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }) }, { additionalProperties: false });

function ledgerOf(app: FastifyInstance): TenantLedger {
  const l = app.services.tenants;
  if (l === null) throw new ApiError('E_UNAVAILABLE', 'no tenant contract ledger is loaded in this process');
  return l;
}

export async function tenantRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/tenants', { config: { access: 'read' }, schema: { querystring: MonthQuery } }, async (req) => {
    const ledger = ledgerOf(app);
    const now = Date.now();
    const month = (req.query as { month?: string }).month ?? new Date(now).toISOString().slice(0, 7);
    const tenants = new Map<string, { id: string; name: string; contracts: unknown[] }>();
    for (const c of ledger.contracts()) {
      const t = tenants.get(c.tenant.id) ?? { id: c.tenant.id, name: c.tenant.name, contracts: [] };
      tenants.set(c.tenant.id, t);
      const termMonth = monthsBetween(c.startMonth, month) + 1;
      const inTerm = termMonth >= 1 && termMonth <= c.termMonths;
      const base = { id: c.id, kind: c.kind, blockIds: c.blockIds, commitmentPct: c.sla.availabilityPct, powerTerms: c.power.terms, guarantor: c.guarantor?.name ?? null, startMonth: c.startMonth, termMonths: c.termMonths };
      if (!inTerm) {
        t.contracts.push({ ...base, month, inTerm, availabilityPct: null, creditAtRiskUsd: null, capacityChargeUsd: null });
        continue;
      }
      const m = await ledger.measure(c, month, now);
      const availabilityPct = roundPct(m.availability.availabilityPct);
      const st = statementFor(c, month, { meteredKwh: m.meteredKwh, availabilityPct });
      const credit = st.lines.find((l) => l.code === 'sla-credit')?.amountUsd ?? 0;
      const capacity = st.lines.find((l) => l.code === 'rent' || l.code === 'gpu-capacity')?.amountUsd ?? 0;
      t.contracts.push({ ...base, month, inTerm, availabilityPct, creditPct: creditPctFor(c, availabilityPct), creditAtRiskUsd: -credit, capacityChargeUsd: capacity, hosts: m.hosts, lost: m.availability.lost });
    }
    return { month, tenants: [...tenants.values()] };
  });

  app.get('/api/tenants/:id/statement', { config: { access: 'read' }, schema: { params: IdParams, querystring: StatementQuery } }, async (req, reply) => {
    const ledger = ledgerOf(app);
    const { id } = req.params as { id: string };
    const q = req.query as { month: string; format?: 'json' | 'csv' };
    try {
      const st = await ledger.statement(id, q.month);
      if (q.format === 'csv') {
        reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${id}-${q.month}.csv"`);
        return st.statements.map((s, i) => (i === 0 ? statementCsv(s) : statementCsv(s).split('\n').slice(1).join('\n'))).join('');
      }
      return st;
    } catch (err) {
      if (err instanceof ContextError && err.code === 'E_TENANT_UNKNOWN') throw new ApiError('E_NOT_FOUND', err.message);
      if (err instanceof ContextError && (err.code === 'E_TENANT_MONTH' || err.code === 'E_TENANT_USAGE')) throw new ApiError('E_UNPROCESSABLE', err.message);
      throw err;
    }
  });
}

