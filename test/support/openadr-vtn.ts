// A small in-process OpenADR 3 VTN for the VEN's tests: node:http on 127.0.0.1, the endpoints
// the VEN uses, with the 3.0.1 specification's shapes (openadr3.yaml) and its OAuth2
// client-credentials flow. No OpenADR 3 VTN can be installed from Debian here, so this
// stand-in is the server; it checks what the VEN sends the way a strict VTN would.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VtnOptions {
  clientId: string;
  clientSecret: string;
  /** API base path, e.g. /openadr3/3.0.1 (the specification's server URL has one). */
  basePath?: string;
  /** expires_in of issued tokens, s. */
  tokenTtlS?: number;
  /** Status for a missing or expired token: 401, or 403 (the only one openadr3.yaml lists). */
  authFailureStatus?: 401 | 403;
}

type Json = Record<string, unknown>;

export interface VtnRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface OpenAdrVtn {
  /** Base URL of the API (with the base path). */
  readonly url: string;
  readonly tokensIssued: number;
  readonly requests: readonly VtnRequest[];
  addProgram(program: Json & { programName: string }): Json & { id: string };
  /** Creates an event as BL would (POST /events); returns the VTN's representation. */
  addEvent(event: Json & { programID: string }): Json & { id: string };
  /** Replaces the given fields (PUT /events/{id}); bumps modificationDateTime. */
  updateEvent(id: string, fields: Json): Json;
  deleteEvent(id: string): void;
  /** Reports the VEN posted, as stored (with the VTN-provisioned fields). */
  reports(): Json[];
  /** Invalidates every issued token: the next request answers 401. */
  expireTokens(): void;
  /** While true, requests are accepted and never answered. */
  hang(on: boolean): void;
  /** While true, every API request with a valid token answers 403 (a scope problem). */
  refuseAll(on: boolean): void;
  /** Stops listening and drops every connection (the VTN "goes away"). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

const PAGE_MAX = 50;
const OBJECT_ID = /^[a-zA-Z0-9_-]+$/;

export async function startOpenAdrVtn(options: VtnOptions): Promise<OpenAdrVtn> {
  const basePath = (options.basePath ?? '/openadr3/3.0.1').replace(/\/+$/, '');
  const ttlS = options.tokenTtlS ?? 3600;
  const tokens = new Map<string, number>();
  const programs: Array<Json & { id: string }> = [];
  const events: Array<Json & { id: string }> = [];
  const reports: Json[] = [];
  const requests: VtnRequest[] = [];
  let tokensIssued = 0;
  let nextId = 1;
  let lastStampMs = 0;
  let hanging = false;
  let refusing = false;

  // Strictly increasing, so a modification within the same millisecond still shows.
  const stamp = () => {
    lastStampMs = Math.max(Date.now(), lastStampMs + 1);
    return new Date(lastStampMs).toISOString();
  };
  const newId = (prefix: string) => `${prefix}-${nextId++}`;

  const server = createServer((req, res) => {
    if (hanging) return;
    void handle(req, res).catch((err: unknown) => {
      send(res, 500, problem(500, 'Internal Server Error', err instanceof Error ? err.message : String(err)));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://vtn');
    const query = Object.fromEntries(url.searchParams);
    const record = (status: number) => requests.push({ method: req.method ?? '', path: url.pathname, query, status });
    const reply = (status: number, body: unknown) => {
      record(status);
      send(res, status, body);
    };
    if (!url.pathname.startsWith(`${basePath}/`)) return reply(404, problem(404, 'Not Found', 'Unrecognized URL'));
    const path = url.pathname.slice(basePath.length);
    const body = await readBody(req);

    if (path === '/auth/token' && req.method === 'POST') {
      if (!/^application\/x-www-form-urlencoded\b/.test(req.headers['content-type'] ?? '')) return reply(400, { error: 'invalid_request', error_description: 'body must be application/x-www-form-urlencoded' });
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'client_credentials') return reply(400, { error: 'unsupported_grant_type' });
      if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) return reply(401, { error: 'invalid_client' });
      const token = randomUUID().replaceAll('-', '');
      tokens.set(token, Date.now() + ttlS * 1000);
      tokensIssued++;
      return reply(200, { access_token: token, token_type: 'Bearer', expires_in: ttlS });
    }

    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expiresAt = bearer === undefined ? undefined : tokens.get(bearer);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      const status = options.authFailureStatus ?? 401;
      return reply(status, problem(status, status === 401 ? 'Unauthorized' : 'Forbidden', 'missing, unknown or expired bearer token'));
    }

    if (refusing) return reply(403, problem(403, 'Forbidden', 'this client may not read this'));

    const page = (items: Json[]) => {
      const skip = Number(query.skip ?? 0);
      const limit = Number(query.limit ?? PAGE_MAX);
      if (!Number.isInteger(skip) || skip < 0 || !Number.isInteger(limit) || limit < 0 || limit > PAGE_MAX) {
        return reply(400, problem(400, 'Bad Request', `skip must be an integer ≥ 0 and limit an integer in [0, ${PAGE_MAX}]`));
      }
      return reply(200, items.slice(skip, skip + limit));
    };

    if (path === '/programs' && req.method === 'GET') return page(programs);
    if (path === '/events' && req.method === 'GET') {
      if (query.programID !== undefined && !OBJECT_ID.test(query.programID)) return reply(400, problem(400, 'Bad Request', 'programID is not an objectID'));
      return page(query.programID === undefined ? events : events.filter((e) => e.programID === query.programID));
    }
    if (path === '/reports' && req.method === 'POST') {
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return reply(400, problem(400, 'Bad Request', 'body must be application/json'));
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        return reply(400, problem(400, 'Bad Request', `body is not JSON: ${err instanceof Error ? err.message : String(err)}`));
      }
      const issue = reportIssue(parsed);
      if (issue) return reply(400, problem(400, 'Bad Request', issue));
      const report = parsed as Json;
      if (!events.some((e) => e.id === report.eventID && e.programID === report.programID)) {
        return reply(400, problem(400, 'Bad Request', `no event ${String(report.eventID)} in program ${String(report.programID)}`));
      }
      const now = stamp();
      const stored = { ...report, id: newId('report'), createdDateTime: now, modificationDateTime: now, objectType: 'REPORT' };
      reports.push(stored);
      return reply(201, stored);
    }
    return reply(404, problem(404, 'Not Found', `no ${req.method} ${path}`));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const closeServer = () =>
    new Promise<void>((resolve, reject) => {
      if (!server.listening) return resolve();
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    get tokensIssued() {
      return tokensIssued;
    },
    get requests() {
      return requests;
    },
    addProgram(program) {
      const now = stamp();
      const created = { ...program, id: newId('program'), createdDateTime: now, modificationDateTime: now, objectType: 'PROGRAM' };
      programs.push(created);
      return created;
    },
    addEvent(event) {
      if (!programs.some((p) => p.id === event.programID)) throw new Error(`test VTN: no program ${event.programID}`);
      if (!Array.isArray(event.intervals)) throw new Error('test VTN: an event needs intervals (openadr3.yaml event.required)');
      const now = stamp();
      const created = { ...event, id: newId('event'), createdDateTime: now, modificationDateTime: now, objectType: 'EVENT' };
      events.push(created);
      return created;
    },
    updateEvent(id, fields) {
      const i = events.findIndex((e) => e.id === id);
      if (i < 0) throw new Error(`test VTN: no event ${id}`);
      const updated = { ...(events[i] as Json & { id: string }), ...fields, id, modificationDateTime: stamp() };
      events[i] = updated;
      return updated;
    },
    deleteEvent(id) {
      const i = events.findIndex((e) => e.id === id);
      if (i < 0) throw new Error(`test VTN: no event ${id}`);
      events.splice(i, 1);
    },
    reports: () => reports.map((r) => structuredClone(r)),
    expireTokens: () => tokens.clear(),
    hang(on) {
      hanging = on;
    },
    refuseAll(on) {
      refusing = on;
    },
    down: closeServer,
    up: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: closeServer,
  };
}

function problem(status: number, title: string, detail: string): Json {
  return { type: 'about:blank', title, status, detail };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What a strict VTN would reject in a report (openadr3.yaml components/schemas/report). */
function reportIssue(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a report is a JSON object';
  const r = value as Json;
  for (const key of ['programID', 'eventID', 'clientName', 'resources']) if (!(key in r)) return `missing required key "${key}"`;
  if (typeof r.programID !== 'string' || !OBJECT_ID.test(r.programID)) return 'programID is not an objectID';
  if (typeof r.eventID !== 'string' || !OBJECT_ID.test(r.eventID)) return 'eventID is not an objectID';
  if (typeof r.clientName !== 'string' || r.clientName.length < 1 || r.clientName.length > 128) return 'clientName must be 1–128 characters';
  if (!Array.isArray(r.resources)) return 'resources must be an array';
  for (const [i, res] of r.resources.entries()) {
    const o = res as Json;
    if (typeof o?.resourceName !== 'string' || o.resourceName.length < 1) return `resources[${i}].resourceName is required`;
    if (!Array.isArray(o.intervals)) return `resources[${i}].intervals must be an array`;
    for (const [j, iv] of o.intervals.entries()) {
      const v = iv as Json;
      if (!Number.isInteger(v?.id)) return `resources[${i}].intervals[${j}].id must be an integer`;
      if (!Array.isArray(v.payloads)) return `resources[${i}].intervals[${j}].payloads must be an array`;
      for (const p of v.payloads as Json[]) {
        if (typeof p?.type !== 'string' || !Array.isArray(p.values)) return `resources[${i}].intervals[${j}]: a payload needs a type and a values array`;
      }
    }
  }
  return undefined;
}
