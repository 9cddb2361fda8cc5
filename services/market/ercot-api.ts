import { ContextError, errorMessage } from '../lib/errors.ts';
import type { ErcotApiReport } from './ercot-api-report.ts';

/**
 * The ERCOT public API client: an ID token from ERCOT's Azure B2C token URL (resource-owner
 * password flow with the API Explorer account's username and password), then GETs under
 * public-reports with that token as a bearer and the subscription key in
 * Ocp-Apim-Subscription-Key. The token lasts about an hour and is fetched again a minute
 * before it runs out (or at once after a 401). Every request has a timeout. Pages are followed
 * up to `maxPages`; the JSON is returned unparsed for ercot-api-report.ts to check.
 */

export const ERCOT_API_URL = 'https://api.ercot.com/api/public-reports';
export const ERCOT_TOKEN_URL = 'https://ercotb2c.b2clogin.com/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token';
/** The public API's registered B2C application (ERCOT's published client id for the ROPC flow). */
export const ERCOT_CLIENT_ID = 'fec253ea-0d06-4272-a5e6-b478baeecd70';

export interface ErcotApiCredentials {
  subscriptionKey: string;
  username: string;
  password: string;
}

export interface ErcotApiClientOptions extends ErcotApiCredentials {
  apiUrl?: string;
  tokenUrl?: string;
  /** Per request, ms (default 10 000). */
  timeoutMs?: number;
  /** Most pages fetched for one query (default 20). */
  maxPages?: number;
  /** Rows per page asked for (default 5000). */
  pageSize?: number;
  now?: () => number;
}

export class ErcotApiError extends ContextError {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super('E_ERCOT_API', message, options);
    this.name = 'ErcotApiError';
  }
}

/** The credentials from SWITCHYARD_ERCOT_*; throws naming what is missing. */
export function ercotApiOptionsFromEnv(env: NodeJS.ProcessEnv): ErcotApiClientOptions {
  const subscriptionKey = env.SWITCHYARD_ERCOT_SUBSCRIPTION_KEY;
  const username = env.SWITCHYARD_ERCOT_USERNAME;
  const password = env.SWITCHYARD_ERCOT_PASSWORD;
  if (!subscriptionKey || !username || !password) {
    const missing = [!subscriptionKey && 'SWITCHYARD_ERCOT_SUBSCRIPTION_KEY', !username && 'SWITCHYARD_ERCOT_USERNAME', !password && 'SWITCHYARD_ERCOT_PASSWORD'].filter(Boolean);
    throw new ErcotApiError(`the ERCOT public API needs ${missing.join(', ')} (an API Explorer account and its subscription key)`);
  }
  return {
    subscriptionKey,
    username,
    password,
    ...(env.SWITCHYARD_ERCOT_API_URL ? { apiUrl: env.SWITCHYARD_ERCOT_API_URL } : {}),
    ...(env.SWITCHYARD_ERCOT_TOKEN_URL ? { tokenUrl: env.SWITCHYARD_ERCOT_TOKEN_URL } : {}),
  };
}

export class ErcotApiClient {
  private token: { value: string; expiresAtMs: number } | undefined;
  private readonly now: () => number;

  constructor(private readonly o: ErcotApiClientOptions) {
    this.now = o.now ?? Date.now;
    for (const u of [o.apiUrl, o.tokenUrl]) if (u !== undefined && !/^https?:\/\//.test(u)) throw new ErcotApiError(`ERCOT API URL must start with http(s)://, got "${u}"`);
  }

  private get timeoutMs(): number {
    return this.o.timeoutMs ?? 10_000;
  }

  /** Every page of `report` for `query` (page and size are added here). */
  async fetchReport(report: ErcotApiReport, query: Record<string, string>): Promise<unknown[]> {
    const pages: unknown[] = [];
    const maxPages = this.o.maxPages ?? 20;
    for (let page = 1; ; page++) {
      const json = await this.get(report, { ...query, page: String(page), size: String(this.o.pageSize ?? 5000) });
      pages.push(json);
      const total = totalPages(json);
      if (total === undefined || page >= total) return pages;
      if (page >= maxPages) throw new ErcotApiError(`${report.path}: ${total} pages for ${JSON.stringify(query)}, more than the ${maxPages} this client follows; narrow the query`);
    }
  }

  private async get(report: ErcotApiReport, query: Record<string, string>, retried = false): Promise<unknown> {
    const url = `${(this.o.apiUrl ?? ERCOT_API_URL).replace(/\/$/, '')}/${report.path}?${new URLSearchParams(query).toString()}`;
    const token = await this.idToken();
    const what = `GET ${report.path} (${report.title})`;
    const res = await this.fetchWithTimeout(url, { headers: { authorization: `Bearer ${token}`, 'ocp-apim-subscription-key': this.o.subscriptionKey, accept: 'application/json' } }, what);
    if (res.status === 401 && !retried) {
      await res.body?.cancel();
      this.token = undefined;
      return this.get(report, query, true);
    }
    if (!res.ok) throw new ErcotApiError(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`, res.status);
    try {
      return await res.json();
    } catch (err) {
      throw new ErcotApiError(`${what}: the answer is not JSON: ${errorMessage(err)}`, res.status, { cause: err });
    }
  }

  private async idToken(): Promise<string> {
    if (this.token && this.now() < this.token.expiresAtMs - 60_000) return this.token.value;
    const body = new URLSearchParams({
      grant_type: 'password',
      username: this.o.username,
      password: this.o.password,
      scope: `openid ${ERCOT_CLIENT_ID} offline_access`,
      client_id: ERCOT_CLIENT_ID,
      response_type: 'id_token',
    });
    const what = 'getting an ERCOT API token';
    const res = await this.fetchWithTimeout(this.o.tokenUrl ?? ERCOT_TOKEN_URL, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, what);
    // The answer may echo nothing secret, but never the request: it carries the password.
    if (!res.ok) throw new ErcotApiError(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`, res.status);
    const json = (await res.json().catch((err: unknown) => {
      throw new ErcotApiError(`${what}: the answer is not JSON: ${errorMessage(err)}`, res.status, { cause: err });
    })) as { id_token?: unknown; access_token?: unknown; expires_in?: unknown };
    const value = typeof json.id_token === 'string' ? json.id_token : typeof json.access_token === 'string' ? json.access_token : undefined;
    if (!value) throw new ErcotApiError(`${what}: the answer has no id_token`);
    const seconds = Number(json.expires_in);
    this.token = { value, expiresAtMs: this.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1000 };
    return value;
  }

  private async fetchWithTimeout(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new ErcotApiError(`${what}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : errorMessage(err)}`, undefined, { cause: err });
    }
  }
}

function totalPages(json: unknown): number | undefined {
  const meta = (json as { _meta?: { totalPages?: unknown } } | null)?._meta;
  const n = Number(meta?.totalPages);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
