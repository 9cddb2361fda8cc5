import type { Program } from './programs.ts';

/**
 * Restore hysteresis, for every event source alike: when a source ends an event of a program
 * with a hold (`restoreHoldSeconds`, per program, default 0), the restore waits until the
 * hold has passed; if the same program asks for a new event inside the hold, the held event
 * simply goes on (no restore, no second shed, one settlement record) instead of a new event
 * starting minutes after the last restore. Miners that are woken and slept again within
 * minutes earn almost nothing in between and wear their hashboards; a price that dips under
 * the strike for two intervals in the middle of a scarcity day is the usual case.
 *
 * The holds live in memory: after a control-plane restart a held event runs on to its end time,
 * or until its source ends it again (the price-strike rule does, on its next low prices).
 */

export type RestoreHoldSeconds = Partial<Record<Program, number>>;

export interface HeldEnd {
  eventId: string;
  program: Program;
  why: string;
  /** When the end was asked for, and when the restore will start unless the program asks again. */
  askedAtMs: number;
  releaseAtMs: number;
}

export class RestoreHold {
  private readonly held = new Map<string, HeldEnd>();
  /** A rejoining request's externalId → the event it extended, so asking again is the same event. */
  private readonly aliases = new Map<string, string>();

  constructor(
    private readonly holdSeconds: RestoreHoldSeconds,
    private readonly now: () => number,
  ) {
    for (const [program, s] of Object.entries(holdSeconds)) {
      if (!(Number.isFinite(s) && (s as number) >= 0)) throw new RangeError(`restoreHoldSeconds.${program} must be ≥ 0 seconds, got ${s}`);
    }
  }

  holdMs(program: Program): number {
    return Math.round((this.holdSeconds[program] ?? 0) * 1000);
  }

  /**
   * A source ends `eventId`: true when the restore is held (the engine ends it when `due`
   * returns it), false when it should restore now. A second end of a held event keeps the
   * first release time.
   */
  defer(eventId: string, program: Program, why: string): boolean {
    const holdMs = this.holdMs(program);
    if (holdMs <= 0) return false;
    if (!this.held.has(eventId)) {
      const now = this.now();
      this.held.set(eventId, { eventId, program, why, askedAtMs: now, releaseAtMs: now + holdMs });
    }
    return true;
  }

  /**
   * A new request of `program`: the held event of that program it extends (removed from the
   * holds: it is no longer ending), or undefined. `alive` says whether the engine still runs
   * an event (one aborted meanwhile is not extended).
   */
  rejoin(program: Program, alive: (eventId: string) => boolean, externalId?: string): HeldEnd | undefined {
    let found: HeldEnd | undefined;
    const now = this.now();
    for (const h of this.held.values()) {
      // A hold that has passed is due, even if the engine has not released it yet.
      if (h.program !== program || !alive(h.eventId) || now >= h.releaseAtMs) continue;
      if (!found || h.askedAtMs > found.askedAtMs) found = h;
    }
    if (found) {
      this.held.delete(found.eventId);
      if (externalId !== undefined) this.aliases.set(externalId, found.eventId);
    }
    return found;
  }

  /** The held ends whose hold has passed, removed from the holds. */
  due(nowMs: number): HeldEnd[] {
    const out: HeldEnd[] = [];
    for (const h of this.held.values()) if (nowMs >= h.releaseAtMs) out.push(h);
    for (const h of out) this.held.delete(h.eventId);
    return out;
  }

  /** The event a rejoined request's externalId was folded into (sources ask again each poll). */
  aliasOf(externalId: string): string | undefined {
    return this.aliases.get(externalId);
  }

  forget(eventId: string): void {
    this.held.delete(eventId);
    for (const [k, v] of this.aliases) if (v === eventId) this.aliases.delete(k);
  }

  get(eventId: string): HeldEnd | undefined {
    return this.held.get(eventId);
  }
}
