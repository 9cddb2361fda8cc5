import type { EventStatus } from '../../services/curtailment/event-record.ts';
import type { CurtailSignal, CurtailmentPort } from '../../services/curtailment/signal.ts';

/**
 * The curtailment engine's port as event-source tests need it: records every call, hands out
 * event ids (`<prefix>1`, `<prefix>2`, … per accepted request; the same id again for a known
 * externalId), and fails on demand.
 */
export class FakePort implements CurtailmentPort {
  readonly calls: Array<['request', CurtailSignal] | ['end', string, string]> = [];
  readonly requests: CurtailSignal[] = [];
  readonly ends: Array<{ eventId: string; why: string }> = [];
  readonly statuses = new Map<string, EventStatus>();
  /** Fail the next call of this kind once ("engine busy"). */
  failNext: 'request' | 'end' | undefined;
  /** Refuse this many requests ("engine restarting") before accepting. */
  failures = 0;
  private n = 0;
  private readonly byExternal = new Map<string, string>();

  /** `reportStatus: false`: status() knows nothing (an engine the source never asks). */
  constructor(private readonly opts: { idPrefix?: string; reportStatus?: boolean } = {}) {}

  async request(signal: CurtailSignal): Promise<{ eventId: string }> {
    this.calls.push(['request', signal]);
    this.requests.push(signal);
    if (this.failNext === 'request') {
      this.failNext = undefined;
      throw new Error('engine busy');
    }
    if (this.failures > 0) {
      this.failures--;
      throw new Error('engine restarting');
    }
    const known = signal.externalId === undefined ? undefined : this.byExternal.get(signal.externalId);
    if (known) return { eventId: known };
    const eventId = `${this.opts.idPrefix ?? 'ev-'}${++this.n}`;
    if (signal.externalId !== undefined) this.byExternal.set(signal.externalId, eventId);
    this.statuses.set(eventId, 'shedding');
    return { eventId };
  }

  async end(eventId: string, why: string): Promise<void> {
    this.calls.push(['end', eventId, why]);
    this.ends.push({ eventId, why });
    if (this.failNext === 'end') {
      this.failNext = undefined;
      throw new Error('engine busy');
    }
  }

  status(eventId: string): EventStatus | undefined {
    return this.opts.reportStatus === false ? undefined : this.statuses.get(eventId);
  }
}
