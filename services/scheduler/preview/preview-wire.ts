import { ContextError } from '../../lib/errors.ts';
import { InfeasiblePlanError } from '../dispatch/infeasibility.ts';
import type { PlanComputeRequest } from '../plan-compute.ts';
import type { PlanReport } from '../plan-report.ts';
import { DispatchInputError } from '../site-input.ts';

/**
 * Messages between the plan service and the preview worker. Errors cross as plain data and
 * are rebuilt as the classes the API maps to answers (422 for an input that cannot be planned
 * or a solve that ran out of time), so a preview fails the same way on the worker as inline.
 */

export interface PreviewRequest {
  id: number;
  request: PlanComputeRequest;
}

export interface WireError {
  name: string;
  message: string;
  code?: string;
  reasons?: string[];
}

export type PreviewReply = { id: number; ok: true; report: PlanReport } | { id: number; ok: false; error: WireError };

export function errorToWire(err: unknown): WireError {
  if (err instanceof InfeasiblePlanError) return { name: err.name, message: err.message, code: err.code, reasons: err.reasons };
  if (err instanceof ContextError) return { name: err.name, message: err.message, code: err.code };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

export function errorFromWire(w: WireError): Error {
  if (w.name === 'InfeasiblePlanError') return new InfeasiblePlanError(w.reasons ?? [w.message]);
  if (w.name === 'DispatchInputError') return new DispatchInputError(w.message);
  if (w.code !== undefined) return new ContextError(w.code, w.message);
  const err = new Error(w.message);
  err.name = w.name;
  return err;
}
