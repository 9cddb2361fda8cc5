import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { InfeasiblePlanError } from '../../scheduler/dispatch/infeasibility.ts';
import { DispatchInputError } from '../../scheduler/site-input.ts';
import { ApiError } from '../errors.ts';
import { NoQuery, responses } from '../schemas.ts';
import { parseTimeMs } from '../time-params.ts';
import { ExplainQuery, ExplanationSchema, PlanReportSchema, PlanStateSchema, PreviewBody } from './plan-schemas.ts';

/** The dispatch plan: the latest computed one, why a block does what it does, and what-ifs. */
export async function planRoutes(app: FastifyInstance): Promise<void> {
  const planner = () => {
    const p = app.services.planner;
    if (!p) throw new ApiError('E_UNAVAILABLE', 'the scheduler is not running in this process');
    return p;
  };

  app.get('/api/plan', { config: { access: 'read' }, schema: { querystring: NoQuery, response: responses({ 200: PlanStateSchema }) } }, async () => ({
    ...planner().latest(),
    curtailment: app.services.viewer.view().blocks.flatMap((b) => b.curtailment.map((c) => ({ blockId: b.id, ...c, wholeBlock: b.stateNow === 'curtailed' && b.state !== 'curtailed' }))),
  }));

  app.get<{ Querystring: Static<typeof ExplainQuery> }>(
    '/api/plan/explain',
    { config: { access: 'read' }, schema: { querystring: ExplainQuery, response: responses({ 200: ExplanationSchema }) } },
    async (req) => {
      const atMs = parseTimeMs(req.query.at, Date.now(), 'at');
      try {
        return planner().explain(req.query.block, atMs);
      } catch (err) {
        if (err instanceof RangeError) throw new ApiError('E_NOT_FOUND', err.message);
        throw err;
      }
    },
  );

  app.post<{ Body: Static<typeof PreviewBody> }>(
    '/api/plan/preview',
    { config: { access: ['operator', 'finance', 'admin'] }, schema: { querystring: NoQuery, body: PreviewBody, response: responses({ 200: PlanReportSchema }) } },
    async (req) => {
      try {
        return await planner().preview(req.body);
      } catch (err) {
        // The inputs cannot be planned: say which rule, as a client error.
        if (err instanceof InfeasiblePlanError || err instanceof DispatchInputError) throw new ApiError('E_UNPROCESSABLE', err.message);
        throw err;
      }
    },
  );
}
