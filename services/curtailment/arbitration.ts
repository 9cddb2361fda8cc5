import { ContextError } from '../lib/errors.ts';

/**
 * Device ownership among curtailment events that run at once. Every device has at most one
 * owner: among the events that claim it, the one with the highest priority, and at equal
 * priority the one that claimed it first. An event that loses a device keeps its claim, so
 * when the owner ends the device passes to the next claimant instead of being restored
 * under a program that still wants it shed. A device of an AI contract can be claimed only
 * by an event that allows AI load to be capped.
 */

export interface ClaimResult {
  /** Devices this event owns now that it did not own before (taken ones included). */
  acquired: string[];
  /** Devices taken from a lower-priority owner. */
  taken: Array<{ deviceId: string; fromEventId: string }>;
  /** Devices claimed but owned by an event of higher or equal, earlier priority. */
  waiting: string[];
  /** AI-contract devices refused because the event does not allow AI. */
  refused: string[];
}

export interface ReleaseResult {
  /** Devices the event owned that pass to another claimant. */
  transferred: Array<{ deviceId: string; toEventId: string }>;
  /** Devices the event owned that nobody else claims: to restore. */
  restore: string[];
}

export class ArbitrationError extends ContextError {
  constructor(message: string) {
    super('E_ARBITRATION', message);
    this.name = 'ArbitrationError';
  }
}

interface EventEntry {
  priority: number;
  allowAi: boolean;
  claimed: Set<string>;
  owned: Set<string>;
}

interface Claim {
  eventId: string;
  priority: number;
  /** Order of the claim: breaks priority ties in favour of the earlier claimant. */
  seq: number;
}

export class Arbiter {
  readonly #isAiDevice: (deviceId: string) => boolean;
  readonly #events = new Map<string, EventEntry>();
  /** Per device, its claims best first: [0] is the owner. */
  readonly #claims = new Map<string, Claim[]>();
  #seq = 0;

  constructor(isAiDevice: (deviceId: string) => boolean = () => false) {
    this.#isAiDevice = isAiDevice;
  }

  /**
   * Adds `deviceIds` to the event's claim. An event's priority and AI flag are fixed by its
   * first claim; a later claim may add devices but not change them.
   */
  claim(eventId: string, priority: number, deviceIds: Iterable<string>, opts: { allowAi?: boolean } = {}): ClaimResult {
    if (!Number.isFinite(priority)) throw new ArbitrationError(`event ${eventId}: priority must be a finite number, got ${priority}`);
    const allowAi = opts.allowAi ?? false;
    let event = this.#events.get(eventId);
    if (event === undefined) {
      event = { priority, allowAi, claimed: new Set(), owned: new Set() };
      this.#events.set(eventId, event);
    } else if (event.priority !== priority || event.allowAi !== allowAi) {
      throw new ArbitrationError(
        `event ${eventId}: claimed with priority ${event.priority}, allowAi ${event.allowAi}; cannot claim again with priority ${priority}, allowAi ${allowAi}`,
      );
    }
    const result: ClaimResult = { acquired: [], taken: [], waiting: [], refused: [] };
    for (const deviceId of deviceIds) {
      if (event.claimed.has(deviceId)) continue;
      if (!allowAi && this.#isAiDevice(deviceId)) {
        result.refused.push(deviceId);
        continue;
      }
      event.claimed.add(deviceId);
      const claims = this.#claims.get(deviceId) ?? [];
      if (claims.length === 0) this.#claims.set(deviceId, claims);
      const previous = claims[0];
      const mine: Claim = { eventId, priority, seq: this.#seq++ };
      // A new claim is the latest, so it goes after every claim of equal or higher priority.
      let at = claims.findIndex((c) => c.priority < priority);
      if (at === -1) at = claims.length;
      claims.splice(at, 0, mine);
      if (at !== 0) {
        result.waiting.push(deviceId);
        continue;
      }
      event.owned.add(deviceId);
      result.acquired.push(deviceId);
      if (previous !== undefined) {
        this.#events.get(previous.eventId)?.owned.delete(deviceId);
        result.taken.push({ deviceId, fromEventId: previous.eventId });
      }
    }
    return result;
  }

  /** Ends the event's claims. Releasing an unknown or already released event does nothing. */
  release(eventId: string): ReleaseResult {
    const result: ReleaseResult = { transferred: [], restore: [] };
    const event = this.#events.get(eventId);
    if (event === undefined) return result;
    this.#events.delete(eventId);
    for (const deviceId of event.claimed) {
      const claims = this.#claims.get(deviceId);
      if (claims === undefined) continue;
      const at = claims.findIndex((c) => c.eventId === eventId);
      if (at === -1) continue;
      claims.splice(at, 1);
      if (at !== 0) continue;
      const next = claims[0];
      if (next === undefined) {
        this.#claims.delete(deviceId);
        result.restore.push(deviceId);
      } else {
        this.#events.get(next.eventId)?.owned.add(deviceId);
        result.transferred.push({ deviceId, toEventId: next.eventId });
      }
    }
    return result;
  }

  ownerOf(deviceId: string): string | undefined {
    return this.#claims.get(deviceId)?.[0]?.eventId;
  }

  /** Devices the event owns now, sorted. */
  owned(eventId: string): string[] {
    return [...(this.#events.get(eventId)?.owned ?? [])].sort();
  }

  /** Active events, in the order of their first claim. */
  events(): string[] {
    return [...this.#events.keys()];
  }

  /**
   * Problems with the ownership tables; empty when they hold: one owner per device and the
   * right one, owned sets matching the claims, no AI device held by an event that forbids it.
   */
  invariantProblems(): string[] {
    const problems: string[] = [];
    const ownedCount = new Map<string, number>();
    for (const [deviceId, claims] of this.#claims) {
      if (claims.length === 0) problems.push(`${deviceId}: an empty claim list is kept`);
      claims.forEach((c, i) => {
        const event = this.#events.get(c.eventId);
        if (event === undefined) problems.push(`${deviceId}: claimed by ended event ${c.eventId}`);
        else if (!event.claimed.has(deviceId)) problems.push(`${deviceId}: ${c.eventId} holds a claim it does not list`);
        if (event !== undefined && !event.allowAi && this.#isAiDevice(deviceId)) problems.push(`${deviceId}: AI device claimed by ${c.eventId}, which does not allow AI`);
        const prev = claims[i - 1];
        if (prev !== undefined && (prev.priority < c.priority || (prev.priority === c.priority && prev.seq > c.seq))) {
          problems.push(`${deviceId}: claims out of order (${prev.eventId} before ${c.eventId})`);
        }
      });
      const owner = claims[0];
      if (owner !== undefined && this.#events.get(owner.eventId)?.owned.has(deviceId) !== true) {
        problems.push(`${deviceId}: owner ${owner.eventId} does not list it as owned`);
      }
    }
    for (const [eventId, event] of this.#events) {
      for (const deviceId of event.owned) {
        ownedCount.set(deviceId, (ownedCount.get(deviceId) ?? 0) + 1);
        if (this.ownerOf(deviceId) !== eventId) problems.push(`${deviceId}: listed as owned by ${eventId} but owned by ${this.ownerOf(deviceId) ?? 'nobody'}`);
      }
      for (const deviceId of event.claimed) {
        if (this.#claims.get(deviceId)?.some((c) => c.eventId === eventId) !== true) problems.push(`${deviceId}: ${eventId} lists a claim that is not held`);
      }
    }
    for (const [deviceId, n] of ownedCount) if (n > 1) problems.push(`${deviceId}: owned by ${n} events`);
    return problems;
  }

  /** Throws an ArbitrationError listing every broken invariant. */
  checkInvariants(): void {
    const problems = this.invariantProblems();
    if (problems.length > 0) throw new ArbitrationError(`arbitration invariants broken: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}`);
  }
}
