import { Type, type Static } from '@sinclair/typebox';

/** The kinds of curtailment event source (DESIGN.md "Grid events"). */
export const Program = Type.Union([
  Type.Literal('operator'),
  Type.Literal('price-strike'),
  Type.Literal('grid-dispatch'),
  Type.Literal('openadr'),
  Type.Literal('under-frequency'),
  Type.Literal('4cp'),
  // Emergency Response Service (ERCOT ERS-10/30): a deployment must be met within minutes.
  Type.Literal('ers'),
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
  ers: 95,
  'grid-dispatch': 90,
  openadr: 80,
  operator: 70,
  '4cp': 60,
  'price-strike': 50,
});

/**
 * How an event sheds: `hard-cut` may open switched PDU outlets and relays (one command removes
 * many miners; restore is a cold boot, staggered within inrush limits), `sleep` only sleeps or
 * trims miners (restore is a wake on the ramp).
 */
export type ShedMode = 'hard-cut' | 'sleep';

/**
 * Emergencies may hard-cut: under-frequency and ERS always; a grid dispatch, an OpenADR event
 * or the operator only when the signal allows it (`allowHardCut`). Economic programs (price
 * strikes, 4CP) always sleep: a cold boot costs hashing time and thermal cycles that a price
 * signal does not pay for.
 */
export function shedModeOf(program: Program, allowHardCut: boolean): ShedMode {
  switch (program) {
    case 'under-frequency':
    case 'ers':
      return 'hard-cut';
    case 'grid-dispatch':
    case 'openadr':
    case 'operator':
      return allowHardCut ? 'hard-cut' : 'sleep';
    case 'price-strike':
    case '4cp':
      return 'sleep';
  }
}
