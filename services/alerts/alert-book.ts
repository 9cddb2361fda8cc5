import type { Logger } from '../lib/log.ts';
import type { AlertKind, Condition, Severity } from './conditions.ts';

/**
 * Alerts an operator acts on: each condition key is raised once when it first appears and
 * cleared once when it has been absent for `clearAfterMs` (so a flapping reading does not
 * raise and clear on every poll); a kind may also need its condition to hold `raiseAfterMs`
 * before it is raised (one slow poll of a busy host is not a host down). Each raise and clear is logged once. Evaluations name the
 * kinds they cover, so the GPU evaluation never clears a tenant alert and vice versa.
 */
export interface Alert {
  id: number;
  key: string;
  kind: AlertKind;
  severity: Severity;
  subject: Record<string, string>;
  message: string;
  raisedAtMs: number;
  /** Last time the condition was seen. */
  seenAtMs: number;
  clearedAtMs: number | null;
}

export interface AlertBookOptions {
  clearAfterMs?: number;
  /** Per kind: the condition must hold this long before the alert is raised (default 0). */
  raiseAfterMs?: Partial<Record<AlertKind, number>>;
  /** Cleared alerts kept for the page (default 200). */
  keepCleared?: number;
}

export class AlertBook {
  private readonly active = new Map<string, Alert>();
  private readonly cleared: Alert[] = [];
  /** Conditions seen but not yet held for raiseAfterMs: key → first seen. */
  private readonly pending = new Map<string, number>();
  private readonly raiseAfterMs: Partial<Record<AlertKind, number>>;
  private nextId = 1;
  private readonly clearAfterMs: number;
  private readonly keepCleared: number;

  constructor(
    private readonly log: Logger,
    opts: AlertBookOptions = {},
  ) {
    this.clearAfterMs = opts.clearAfterMs ?? 60_000;
    this.keepCleared = opts.keepCleared ?? 200;
    this.raiseAfterMs = opts.raiseAfterMs ?? {};
  }

  /** Applies what is true now for the given kinds; returns what changed. */
  evaluate(kinds: readonly AlertKind[], conditions: readonly Condition[], nowMs: number): { raised: Alert[]; cleared: Alert[] } {
    const raised: Alert[] = [];
    const cleared: Alert[] = [];
    const seen = new Set<string>();
    for (const c of conditions) {
      seen.add(c.key);
      const a = this.active.get(c.key);
      if (a !== undefined) {
        a.seenAtMs = nowMs;
        a.message = c.message;
        continue;
      }
      const first = this.pending.get(c.key) ?? nowMs;
      this.pending.set(c.key, first);
      if (nowMs - first < (this.raiseAfterMs[c.kind] ?? 0)) continue;
      this.pending.delete(c.key);
      const alert: Alert = { id: this.nextId++, key: c.key, kind: c.kind, severity: c.severity, subject: c.subject, message: c.message, raisedAtMs: nowMs, seenAtMs: nowMs, clearedAtMs: null };
      this.active.set(c.key, alert);
      raised.push(alert);
      this.log.warn({ alert: alert.key, severity: alert.severity, subject: alert.subject }, `alert raised: ${alert.message}`);
    }
    for (const [key, first] of this.pending) {
      const kind = key.slice(0, key.indexOf(':')) as AlertKind;
      if (!seen.has(key) && kinds.includes(kind)) this.pending.delete(key);
      else if (first > nowMs) this.pending.delete(key);
    }
    for (const [key, a] of this.active) {
      if (seen.has(key) || !kinds.includes(a.kind) || nowMs - a.seenAtMs < this.clearAfterMs) continue;
      a.clearedAtMs = nowMs;
      this.active.delete(key);
      this.cleared.unshift(a);
      cleared.push(a);
      this.log.info({ alert: a.key, raisedAtMs: a.raisedAtMs }, `alert cleared: ${a.message}`);
    }
    this.cleared.length = Math.min(this.cleared.length, this.keepCleared);
    return { raised, cleared };
  }

  list(): { active: Alert[]; cleared: Alert[] } {
    return {
      active: [...this.active.values()].sort((a, b) => a.raisedAtMs - b.raisedAtMs).map((a) => ({ ...a })),
      cleared: this.cleared.map((a) => ({ ...a })),
    };
  }
}
