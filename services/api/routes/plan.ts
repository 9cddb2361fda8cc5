import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { InfeasiblePlanError } from '../../scheduler/dispatch/infeasibility.ts';
import { DispatchInputError } from '../../scheduler/site-input.ts';
import { ApiError } from '../errors.ts';
import { ContextError } from '../../lib/errors.ts';
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

  // One preview in flight per caller (token name); a second answers 429 rather than queueing.
  const previewing = new Set<string>();
  app.post<{ Body: Static<typeof PreviewBody> }>(
    '/api/plan/preview',
    { config: { access: ['operator', 'finance', 'admin'] }, schema: { querystring: NoQuery, body: PreviewBody, response: responses({ 200: PlanReportSchema }) } },
    async (req) => {
      const p = planner();
      const caller = req.principal!.name;
      if (previewing.has(caller)) throw new ApiError('E_TOO_MANY_REQUESTS', `a plan preview for "${caller}" is still running; one at a time`);
      previewing.add(caller);
      try {
        return await p.preview(req.body);
      } catch (err) {
        // The inputs cannot be planned: say which rule, as a client error.
        if (err instanceof InfeasiblePlanError || err instanceof DispatchInputError) throw new ApiError('E_UNPROCESSABLE', err.message);
        // A what-if the solver cannot finish in its time (degenerate prices, a long horizon on a
        // busy machine) is this request's answer, not a fault of the service.
        if (err instanceof ContextError && err.code === 'E_SOLVER_HUNG') throw new ApiError('E_UNPROCESSABLE', `the preview could not be solved in time: ${err.message}; try a shorter horizon or less extreme prices`);
        throw err;
      } finally {
        previewing.delete(caller);
      }
    },
  );
}
