import type { EventStatus, EventTarget } from './event-record.ts';
import type { Program } from './programs.ts';

/**
 * What every event source (operator, price strike, grid dispatch webhook, OpenADR VEN,
 * under-frequency, 4CP) hands the curtailment engine, and the engine's face toward them.
 * Sources translate their protocol into a CurtailSignal; the engine does the rest.
 */
export interface CurtailSignal {
  program: Program;
  /** The program's own name (e.g. "ERCOT ERS-10", an OpenADR program name). */
  programName?: string;
  target: EventTarget;
  /** When to start shedding (now or later) and when to restore, UTC ms. */
  startMs: number;
  endMs: number;
  /** Default: the program's DEFAULT_PRIORITY. */
  priority?: number;
  /** May this event cap AI load (within each contract's flexibility)? Default false. */
  allowAi?: boolean;
  /** May this event cut power through PDUs and relays? Under-frequency and ERS always may; price and 4CP never (programs.ts). */
  allowHardCut?: boolean;
  /** The source's id for the event: a second signal with the same id is the same event. */
  externalId?: string;
  /** Who asked: a token name, "openadr:<vtn>", "price-strike", … */
  requestedBy: string;
  reason?: string;
}

export interface CurtailmentPort {
  /** Starts (or, for a known externalId, returns) an event. */
  request(signal: CurtailSignal): Promise<{ eventId: string }>;
  /** Ends an event early (a source withdrew it); restore follows the normal ramp. */
  end(eventId: string, why: string): Promise<void>;
  status(eventId: string): EventStatus | undefined;
}
