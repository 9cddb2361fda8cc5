import { Type, type Static } from '@sinclair/typebox';

/** The kinds of curtailment event source (DESIGN.md "Grid events"). */
export const Program = Type.Union([
  Type.Literal('operator'),
  Type.Literal('price-strike'),
  Type.Literal('grid-dispatch'),
  Type.Literal('openadr'),
  Type.Literal('under-frequency'),
  Type.Literal('4cp'),
]);
export type Program = Static<typeof Program>;

/**
 * Default arbitration priorities (higher wins a device). Reliability obligations with
 * penalties come first (under-frequency trips are the fastest and the most binding), then
 * explicit dispatches, the operator's own request, and last the economic programs, which
 * lose only money when they lose a device. A site may pass its own priorities.
 */
export const DEFAULT_PRIORITY: Readonly<Record<Program, number>> = Object.freeze({
  'under-frequency': 100,
  'grid-dispatch': 90,
  openadr: 80,
  operator: 70,
  '4cp': 60,
  'price-strike': 50,
});
