import type { TSchema, Static } from '@sinclair/typebox';
import { describeIssues, validator } from '../../../domain/schema.ts';
import { ContextError, errorMessage } from '../../../lib/errors.ts';
import { logger, type Logger } from '../../../lib/log.ts';
import type { CurtailSignal, CurtailmentPort } from '../../signal.ts';
import type { OpenAdrVenConfig } from './config.ts';
import {
  buildOptOutReport,
  buildUsageReport,
  intervalAt,
  mapEvent,
  MappingError,
  resolveIntervals,
  type EventMapping,
  type UsageSample,
} from './mapping.ts';
import { Event, Program, TokenResponse, type ReportRequest } from './vtn-schema.ts';

/**
 * The OpenADR 3 VEN: polls a VTN (GET /programs, GET /events?programID=…) with an OAuth2
 * client-credentials token, hands each curtailment event to the engine once
 * (externalId "openadr:<eventId>"), ends it when the VTN deletes or cancels it early, and posts
 * reports (usage, opt-out). Every request has a timeout; a failing VTN is polled with
 * exponential backoff and logged once when it goes and once when it comes back. The
 * translation itself is pure and lives in mapping.ts.
 *
 * Call start() for the poll loop, or pollOnce() to drive polls yourself (polls are
 * serialized, so mixing the two is safe).
 */

export class OpenAdrError extends ContextError {
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('E_OPENADR', message, options);
    this.name = 'OpenAdrError';
    this.status = options?.status;
  }
}

export interface OpenAdrVenOptions {
  log?: Logger;
  /** UTC ms clock; default Date.now. */
  now?: () => number;
}

export type VenEventStatus =
  /** Seen; not yet (successfully) handed to the engine. */
  | 'new'
  /** Handed to the engine; engineEventId is set. */
  | 'requested'
  /** The VEN cannot act on it (unknown payload, bad timing); see reason. */
  | 'rejected'
  /** Nothing left to do: ended, or its intervals have no duration. */
  | 'inactive'
  /** Being ended (deleted or cancelled by the VTN). */
  | 'ending'
  /** The engine event was ended, or it ran to its end. */
  | 'ended'
  | 'opted-out';

export interface VenEventState {
  eventId: string;
  programId: string;
  programName: string | undefined;
  status: VenEventStatus;
  engineEventId: string | undefined;
  signal: CurtailSignal | undefined;
  reason: string | undefined;
  firstSeenMs: number;
}

export interface VenHealth {
  /** undefined until the first poll finishes. */
  online: boolean | undefined;
  consecutiveFailures: number;
  lastError: string | undefined;
  lastSuccessMs: number | undefined;
  polls: number;
}

export interface ReportResult {
  reportId: string | undefined;
}

export interface UsageReportResult extends ReportResult {
  samplesUsed: number;
  samplesDropped: number;
  intervalsWithoutSamples: number[];
}

interface Tracked {
  event: Event;
  program: Program;
  version: string;
  firstSeenMs: number;
  status: VenEventStatus;
  engineEventId?: string;
  signal?: CurtailSignal;
  reason?: string;
  goneAtMs?: number;
  /** `${version}` whose mapping problem, modification or engine failure was already logged. */
  loggedVersion?: string;
  engineErrorLogged?: boolean;
}

/** GET pages of this many objects (the specification's maximum `limit`). */
const PAGE = 50;
const MAX_PAGES = 100;
/** Deleted events are remembered this long, so a late usage report still finds them. */
const RETAIN_GONE_MS = 86_400_000;
/** Refresh a token this long before the VTN says it expires (at most a tenth of its life). */
const TOKEN_EARLY_MS = 30_000;

export class OpenAdrVen {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly base: string;
  private readonly tokenUrl: string;
  private readonly requestedBy: string;
  private readonly maxBackoffMs: number;
  private readonly resourceName: string;

  private readonly tracked = new Map<string, Tracked>();
  /** Bad objects already logged, and those seen in the current poll (to forget fixed ones). */
  private invalidLogged = new Set<string>();
  private invalidSeen = new Set<string>();
  private readonly missingPrograms = new Set<string>();
  private token: { value: string; refreshAtMs: number } | undefined;
  private tokenInFlight: Promise<string> | undefined;

  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private stopper = new AbortController();
  private pollChain: Promise<unknown> = Promise.resolve();
  private health: VenHealth = { online: undefined, consecutiveFailures: 0, lastError: undefined, lastSuccessMs: undefined, polls: 0 };
  private downSinceMs: number | undefined;

  constructor(
    private readonly config: OpenAdrVenConfig,
    private readonly port: CurtailmentPort,
    options: OpenAdrVenOptions = {},
  ) {
    this.base = config.vtnUrl.replace(/\/+$/, '');
    this.tokenUrl = config.tokenUrl ?? `${this.base}/auth/token`;
    this.requestedBy = `openadr:${new URL(config.vtnUrl).host}`;
    this.maxBackoffMs = config.maxBackoffMs ?? Math.max(config.pollIntervalMs, 60_000);
    this.resourceName = config.resourceName ?? config.siteId;
    this.log = options.log ?? logger('openadr-ven');
    this.now = options.now ?? Date.now;
  }

  /** Starts the poll loop; the first poll runs at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopper = new AbortController();
    this.log.info({ vtnUrl: this.base, venName: this.config.venName, programNames: this.config.programNames }, 'OpenADR VEN polling');
    this.schedule(0);
  }

  /** Stops polling, aborts requests in flight and waits for the current poll to finish. */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopper.abort(new OpenAdrError('the VEN was stopped'));
    await this.pollChain;
    if (wasRunning) this.log.info({ vtnUrl: this.base }, 'OpenADR VEN stopped');
  }

  /** One poll (serialized with the loop's); rejects with the reason when the VTN could not be read. */
  async pollOnce(): Promise<void> {
    const outcome = await this.enqueuePoll();
    if (outcome !== undefined) throw outcome;
  }

  getHealth(): VenHealth {
    return { ...this.health };
  }

  eventState(eventId: string): VenEventState | undefined {
    const t = this.tracked.get(eventId);
    if (!t) return undefined;
    return {
      eventId,
      programId: t.event.programID,
      programName: t.program.programName,
      status: t.status,
      engineEventId: t.engineEventId,
      signal: t.signal ? { ...t.signal } : undefined,
      reason: t.reason,
      firstSeenMs: t.firstSeenMs,
    };
  }

  /**
   * Declines an event (see mapping.ts buildOptOutReport for why this is a report): ends our
   * engine event if one runs, stops following the event, and posts an OPERATING_STATE
   * RUNNING_OPTED_OUT report for it.
   */
  async optOut(eventId: string, why: string): Promise<ReportResult> {
    const t = this.tracked.get(eventId);
    if (!t) throw new OpenAdrError(`opting out of OpenADR event ${eventId}: this VEN has not seen that event`);
    const previous = t.status;
    // Set before any await, so a poll in between does not request the event again.
    t.status = 'opted-out';
    t.reason = why;
    if (previous === 'requested' && t.engineEventId !== undefined) {
      try {
        await this.port.end(t.engineEventId, `opted out of OpenADR event ${eventId}: ${why}`);
      } catch (err) {
        t.status = previous;
        throw new OpenAdrError(`opting out of OpenADR event ${eventId}: ending engine event ${t.engineEventId}: ${errorMessage(err)}`, { cause: err });
      }
    }
    if (previous !== 'opted-out') this.log.info({ eventId, engineEventId: t.engineEventId, was: previous, why }, 'opted out of OpenADR event');
    const now = this.now();
    let intervalId = 0;
    try {
      intervalId = intervalAt(resolveIntervals(t.event), now)?.id ?? 0;
    } catch (err) {
      // An event whose times we cannot read was never acted on; the report still says so.
      if (!(err instanceof MappingError)) throw err;
    }
    const report = buildOptOutReport({ event: t.event, clientName: this.config.venName, resourceName: this.resourceName, atMs: now, intervalId });
    return this.postReport(report, `posting the opt-out report for OpenADR event ${eventId}`);
  }

  /** Posts a USAGE report (mean kW per event interval) from revenue-meter samples. */
  async reportUsage(eventId: string, samples: readonly UsageSample[]): Promise<UsageReportResult> {
    const doing = `reporting usage for OpenADR event ${eventId}`;
    const t = this.tracked.get(eventId);
    if (!t) throw new OpenAdrError(`${doing}: this VEN has not seen that event`);
    let intervals;
    try {
      intervals = resolveIntervals(t.event);
    } catch (err) {
      throw new OpenAdrError(`${doing}: ${errorMessage(err)}`, { cause: err });
    }
    const built = buildUsageReport({ event: t.event, intervals, samples, clientName: this.config.venName, resourceName: this.resourceName });
    if (built.samplesUsed === 0) {
      throw new OpenAdrError(`${doing}: none of the ${samples.length} samples is a valid reading inside the event's intervals`);
    }
    const result = await this.postReport(built.report, doing);
    this.log.info(
      { eventId, reportId: result.reportId, samplesUsed: built.samplesUsed, samplesDropped: built.samplesDropped, intervalsWithoutSamples: built.intervalsWithoutSamples },
      'OpenADR usage report posted',
    );
    return { ...result, samplesUsed: built.samplesUsed, samplesDropped: built.samplesDropped, intervalsWithoutSamples: built.intervalsWithoutSamples };
  }

  // ── poll loop ────────────────────────────────────────────────────────────────────────────

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.loopTick();
    }, delayMs);
    this.timer.unref();
  }

  private async loopTick(): Promise<void> {
    const failure = await this.enqueuePoll();
    if (!this.running) return;
    const n = this.health.consecutiveFailures;
    this.schedule(failure === undefined ? this.config.pollIntervalMs : this.backoffMs(n));
  }

  private backoffMs(failures: number): number {
    return Math.min(this.config.pollIntervalMs * 2 ** Math.min(failures, 20), this.maxBackoffMs);
  }

  /** Runs a poll after any in flight; resolves with the failure, or undefined on success. */
  private enqueuePoll(): Promise<Error | undefined> {
    const run = this.pollChain.then(() => this.poll());
    // The chain only orders polls; poll() itself never rejects.
    this.pollChain = run;
    return run;
  }

  private async poll(): Promise<Error | undefined> {
    this.health.polls++;
    let fetched: Array<{ program: Program; events: Event[] }>;
    this.invalidSeen = new Set();
    try {
      fetched = await this.fetchAll();
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.onPollFailure(error);
      return error;
    }
    this.onPollSuccess(fetched.length);
    this.invalidLogged = this.invalidSeen;
    this.invalidSeen = new Set();
    try {
      await this.reconcile(fetched);
    } catch (err) {
      // Reconciling catches engine failures per event; anything here is a bug, not the VTN.
      this.log.error({ err: errorMessage(err) }, 'reconciling OpenADR events failed');
    }
    return undefined;
  }

  private onPollSuccess(programs: number): void {
    const h = this.health;
    if (h.online === false) {
      this.log.info({ vtnUrl: this.base, failedPolls: h.consecutiveFailures, downForMs: this.now() - (this.downSinceMs ?? this.now()) }, 'OpenADR VTN reachable again');
    } else if (h.online === undefined) {
      this.log.info({ vtnUrl: this.base, programs }, 'OpenADR VTN connected');
    }
    h.online = true;
    h.consecutiveFailures = 0;
    h.lastError = undefined;
    h.lastSuccessMs = this.now();
    this.downSinceMs = undefined;
  }

  private onPollFailure(err: Error): void {
    const h = this.health;
    h.consecutiveFailures++;
    h.lastError = err.message;
    if (this.stopper.signal.aborted) return;
    if (h.online !== false) {
      this.downSinceMs = this.now();
      this.log.warn({ vtnUrl: this.base, err: err.message, retryInMs: this.backoffMs(h.consecutiveFailures) }, 'OpenADR VTN unreachable; polling with backoff');
    } else {
      this.log.debug({ err: err.message, failedPolls: h.consecutiveFailures }, 'OpenADR VTN still unreachable');
    }
    h.online = false;
  }

  // ── reading the VTN ──────────────────────────────────────────────────────────────────────

  private async fetchAll(): Promise<Array<{ program: Program; events: Event[] }>> {
    const programs = this.valid(Program, await this.getAll('/programs', {}, 'listing OpenADR programs'), 'program');
    const wanted = this.config.programNames;
    let followed = programs;
    if (wanted) {
      followed = programs.filter((p) => wanted.includes(p.programName));
      for (const name of wanted) {
        const found = followed.some((p) => p.programName === name);
        if (!found && !this.missingPrograms.has(name)) {
          this.missingPrograms.add(name);
          this.log.warn({ programName: name, offered: programs.map((p) => p.programName) }, 'OpenADR program not offered by the VTN');
        } else if (found && this.missingPrograms.delete(name)) {
          this.log.info({ programName: name }, 'OpenADR program now offered by the VTN');
        }
      }
    }
    const out: Array<{ program: Program; events: Event[] }> = [];
    for (const program of followed) {
      const raw = await this.getAll('/events', { programID: program.id }, `listing events of OpenADR program ${program.programName}`);
      // A VTN that ignores the programID filter must not hand us another program's events.
      const events = this.valid(Event, raw, 'event').filter((e) => e.programID === program.id);
      out.push({ program, events });
    }
    return out;
  }

  /** Keeps the objects that match the schema; logs each bad one once. */
  private valid<S extends TSchema>(schema: S, items: unknown[], what: string): Array<Static<S>> {
    const fn = validator(schema);
    const out: Array<Static<S>> = [];
    for (const item of items) {
      if (fn(item)) {
        out.push(item);
        continue;
      }
      const id = typeof item === 'object' && item !== null && 'id' in item ? String((item as { id: unknown }).id) : '?';
      const key = `${what}:${id}:${JSON.stringify(item)}`;
      this.invalidSeen.add(key);
      if (!this.invalidLogged.has(key)) {
        this.invalidLogged.add(key);
        const issues = describeIssues(fn.errors).map((i) => `${i.path || '/'} ${i.message}`);
        this.log.warn({ [`${what}Id`]: id, issues }, `OpenADR ${what} does not match the specification; ignored`);
      }
    }
    return out;
  }

  private async getAll(path: string, query: Record<string, string>, doing: string): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let page = 0, skip = 0; page < MAX_PAGES; page++) {
      const body = await this.call('GET', path, { query: { ...query, skip: String(skip), limit: String(PAGE) } }, doing);
      if (!Array.isArray(body)) throw new OpenAdrError(`${doing}: expected a JSON array, got ${body === null ? 'null' : typeof body}`);
      out.push(...body);
      // Fewer than a page is the last page; more means the VTN ignored `limit` and sent all.
      if (body.length !== PAGE) return out;
      skip += body.length;
    }
    throw new OpenAdrError(`${doing}: more than ${MAX_PAGES * PAGE} objects; refusing to page further`);
  }

  private async postReport(report: ReportRequest, doing: string): Promise<ReportResult> {
    const created = await this.call('POST', '/reports', { body: report }, doing);
    const id = typeof created === 'object' && created !== null && 'id' in created ? (created as { id: unknown }).id : undefined;
    return { reportId: typeof id === 'string' ? id : undefined };
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────

  /**
   * An authorized JSON request. A 401, or a 403 (the only auth failure openadr3.yaml lists for
   * these endpoints), fetches a new token and retries once; a second refusal is an error.
   */
  private async call(method: 'GET' | 'POST', path: string, opts: { query?: Record<string, string>; body?: unknown }, doing: string): Promise<unknown> {
    const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
    const url = `${this.base}${path}${qs}`;
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await this.http(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) }, `${doing} (${method} ${url})`);
      if ((res.status === 401 || res.status === 403) && attempt === 0) {
        // The token expired early or was revoked: one fresh token, one retry.
        this.log.info({ url, method, status: res.status }, 'OpenADR VTN refused our token; fetching a new one');
        if (this.token?.value === token) this.token = undefined;
        continue;
      }
      if (res.status < 200 || res.status > 299) {
        throw new OpenAdrError(`${doing}: ${method} ${url} answered HTTP ${res.status}${problemText(res.json, res.text)}`, { status: res.status });
      }
      return res.json;
    }
  }

  private accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.refreshAtMs) return Promise.resolve(this.token.value);
    this.tokenInFlight ??= this.fetchToken().finally(() => {
      this.tokenInFlight = undefined;
    });
    return this.tokenInFlight;
  }

  private async fetchToken(): Promise<string> {
    const doing = `fetching an OAuth2 token from ${this.tokenUrl}`;
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.config.clientId, client_secret: this.config.clientSecret });
    const res = await this.http(this.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: body.toString() }, doing);
    if (res.status !== 200) throw new OpenAdrError(`${doing}: HTTP ${res.status}${problemText(res.json, res.text)}`, { status: res.status });
    const fn = validator(TokenResponse);
    if (!fn(res.json)) {
      throw new OpenAdrError(`${doing}: unexpected answer: ${describeIssues(fn.errors).map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`);
    }
    const ttlMs = res.json.expires_in === undefined ? Number.POSITIVE_INFINITY : res.json.expires_in * 1000;
    const refreshAtMs = this.now() + ttlMs - Math.min(TOKEN_EARLY_MS, ttlMs / 10);
    this.token = { value: res.json.access_token, refreshAtMs };
    this.log.debug({ tokenUrl: this.tokenUrl, expiresInS: res.json.expires_in }, 'OpenADR token obtained');
    return res.json.access_token;
  }

  /** One HTTP exchange under the request timeout; reads and parses the body. */
  private async http(url: string, init: RequestInit, doing: string): Promise<{ status: number; json: unknown; text: string }> {
    const timeoutMs = this.config.requestTimeoutMs;
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopper.signal]);
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { ...init, signal });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (this.stopper.signal.aborted) throw new OpenAdrError(`${doing}: the VEN was stopped`, { cause: err });
      if (err instanceof DOMException && err.name === 'TimeoutError') throw new OpenAdrError(`${doing}: no answer within ${timeoutMs} ms`, { cause: err });
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new OpenAdrError(`${doing}: ${errorMessage(err)}${cause ? ` (${cause.code ?? cause.message})` : ''}`, { cause: err });
    }
    let json: unknown;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch (err) {
        // A 2xx must be JSON; an error page may not be, and its text is the best detail we have.
        if (status >= 200 && status <= 299) throw new OpenAdrError(`${doing}: HTTP ${status} body is not JSON: ${text.slice(0, 200)}`, { cause: err });
      }
    }
    return { status, json, text };
  }

  // ── events → engine ──────────────────────────────────────────────────────────────────────

  private async reconcile(fetched: Array<{ program: Program; events: Event[] }>): Promise<void> {
    const now = this.now();
    const listed = new Set<string>();
    for (const { program, events } of fetched) {
      for (const event of events) {
        listed.add(event.id);
        const version = event.modificationDateTime ?? JSON.stringify(event);
        let t = this.tracked.get(event.id);
        if (!t) {
          t = { event, program, version, firstSeenMs: now, status: 'new' };
          this.tracked.set(event.id, t);
        } else {
          const changed = t.version !== version;
          t.event = event;
          t.program = program;
          t.version = version;
          t.goneAtMs = undefined;
          // A new version of an event we could not use deserves a fresh look.
          if (changed && (t.status === 'rejected' || t.status === 'inactive')) t.status = 'new';
        }
        await this.consider(t, now);
      }
    }
    for (const [id, t] of this.tracked) {
      if (listed.has(id)) continue;
      t.goneAtMs ??= now;
      if (t.status === 'requested') await this.withdraw(t, now, `OpenADR event ${id} was deleted by the VTN`);
      else if (t.status !== 'ending' && now - t.goneAtMs > RETAIN_GONE_MS) this.tracked.delete(id);
    }
  }

  private map(t: Tracked, now: number): EventMapping {
    return mapEvent(t.event, {
      nowMs: now,
      firstSeenMs: t.firstSeenMs,
      program: t.program,
      requestedBy: this.requestedBy,
      allowAi: this.config.allowAi,
      openEndedMaxMs: this.config.openEndedMaxMs,
    });
  }

  private async consider(t: Tracked, now: number): Promise<void> {
    const id = t.event.id;
    if (t.status === 'new') {
      const m = this.map(t, now);
      if (m.kind === 'rejected') {
        t.status = 'rejected';
        t.reason = m.reason;
        this.logOncePerVersion(t, () => this.log.warn({ eventId: id, programName: t.program.programName, eventName: t.event.eventName, reason: m.reason }, 'OpenADR event ignored'));
        return;
      }
      if (m.kind === 'inactive' || m.signal.endMs <= now) {
        t.status = 'inactive';
        t.reason = m.kind === 'inactive' ? m.reason : 'ended';
        this.log.debug({ eventId: id, reason: t.reason }, 'OpenADR event has nothing left to do');
        return;
      }
      let eventId: string;
      try {
        ({ eventId } = await this.port.request(m.signal));
      } catch (err) {
        if (!t.engineErrorLogged) {
          t.engineErrorLogged = true;
          this.log.error({ eventId: id, err: errorMessage(err) }, 'the curtailment engine refused an OpenADR event; retrying each poll');
        }
        return;
      }
      // An opt-out may have arrived while the engine was answering: end what it started.
      if (statusOf(t) === 'opted-out') {
        t.engineEventId = eventId;
        t.signal = m.signal;
        try {
          await this.port.end(eventId, `opted out of OpenADR event ${id}: ${t.reason ?? ''}`);
        } catch (err) {
          this.log.error({ eventId: id, engineEventId: eventId, err: errorMessage(err) }, 'ending the engine event of an OpenADR event opted out of failed; end it by hand');
        }
        return;
      }
      t.status = 'requested';
      t.engineEventId = eventId;
      t.signal = m.signal;
      t.reason = undefined;
      t.loggedVersion = t.version;
      t.engineErrorLogged = false;
      this.log.info(
        {
          eventId: id,
          engineEventId: eventId,
          programName: t.program.programName,
          target: m.signal.target,
          start: new Date(m.signal.startMs).toISOString(),
          end: new Date(m.signal.endMs).toISOString(),
          priority: m.signal.priority,
          basis: m.basis,
        },
        'OpenADR event handed to the curtailment engine',
      );
      return;
    }
    if (t.status !== 'requested' || !t.signal) return;
    const m = this.map(t, now);
    if (m.kind === 'inactive' || (m.kind === 'signal' && m.signal.endMs <= now)) {
      // Cancelled (start "0001-01-01", duration PT0S: User Guide 7.9) or shortened into the past.
      const reason = m.kind === 'inactive' ? m.reason : 'its window now ends before this poll';
      if (now < t.signal.endMs) await this.withdraw(t, now, `OpenADR event ${id} was cancelled by the VTN (${reason})`);
      else t.status = 'ended';
      return;
    }
    if (t.loggedVersion !== t.version) {
      t.loggedVersion = t.version;
      const asNow = m.kind === 'signal' ? { target: m.signal.target, startMs: m.signal.startMs, endMs: m.signal.endMs } : { rejected: m.reason };
      const was = { target: t.signal.target, startMs: t.signal.startMs, endMs: t.signal.endMs };
      if (JSON.stringify(asNow) !== JSON.stringify(was)) {
        // The engine takes one request per externalId; a changed target or window is not passed on.
        this.log.warn({ eventId: id, engineEventId: t.engineEventId, was, now: asNow }, 'OpenADR event modified after it was handed to the engine; the engine event keeps its original request');
      }
    }
  }

  /** Ends our engine event early; a failure is logged once and retried on the next poll. */
  private async withdraw(t: Tracked, now: number, why: string): Promise<void> {
    if (t.engineEventId === undefined || !t.signal) return;
    if (now >= t.signal.endMs) {
      t.status = 'ended';
      return;
    }
    t.status = 'ending';
    try {
      await this.port.end(t.engineEventId, why);
      t.status = 'ended';
      t.reason = why;
      this.log.info({ eventId: t.event.id, engineEventId: t.engineEventId }, why);
    } catch (err) {
      t.status = 'requested';
      if (!t.engineErrorLogged) {
        t.engineErrorLogged = true;
        this.log.error({ eventId: t.event.id, engineEventId: t.engineEventId, err: errorMessage(err) }, `ending the engine event failed (${why}); retrying each poll`);
      }
    }
  }

  private logOncePerVersion(t: Tracked, write: () => void): void {
    if (t.loggedVersion === t.version) return;
    t.loggedVersion = t.version;
    write();
  }
}

/** The status as it is now (TypeScript keeps a narrowing across an await). */
function statusOf(t: Tracked): VenEventStatus {
  return t.status;
}

/** " (title: detail)" from a problem or RFC 6749 error body, else a slice of the text. */
function problemText(json: unknown, text: string): string {
  if (typeof json === 'object' && json !== null) {
    const o = json as Record<string, unknown>;
    const parts = [o.title, o.detail, o.error, o.error_description].filter((v): v is string => typeof v === 'string' && v.length > 0);
    if (parts.length > 0) return ` (${parts.join(': ')})`;
  }
  return text ? ` (${text.slice(0, 200)})` : '';
}
