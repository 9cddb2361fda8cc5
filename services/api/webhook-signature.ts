import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed grid-dispatch webhooks, an option beside the bearer token for senders that sign
 * instead (as Stripe, Slack and GitHub webhooks do). The sender puts the time it sent, in unix
 * seconds, in `x-switchyard-timestamp`, and `sha256=<hex>` of HMAC-SHA256(secret,
 * "<timestamp>.<raw body>") in `x-switchyard-signature`. A request whose timestamp is outside
 * the replay window is refused; inside it, a replay is the same bytes and so the same event
 * (the route dedupes on the body hash).
 */

export const TIMESTAMP_HEADER = 'x-switchyard-timestamp';
export const SIGNATURE_HEADER = 'x-switchyard-signature';
export const DEFAULT_WEBHOOK_WINDOW_S = 300;

export interface WebhookAuth {
  /** SWITCHYARD_WEBHOOK_SECRET; null: signed requests are refused (the token still works). */
  secret: string | null;
  /** SWITCHYARD_WEBHOOK_WINDOW_S: how far a timestamp may be from now, and how long a body is remembered. */
  windowS: number;
}

export function signWebhook(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** Null when the signature is good and fresh; else why not (for the 401). */
export function webhookSignatureProblem(auth: WebhookAuth, timestamp: string | undefined, signature: string | undefined, body: string, nowMs: number): string | null {
  if (auth.secret === null) return 'signed webhooks are not enabled here (SWITCHYARD_WEBHOOK_SECRET is not set); use a bearer token';
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return `${TIMESTAMP_HEADER} must be the send time in unix seconds`;
  const skewS = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skewS > auth.windowS) return `${TIMESTAMP_HEADER} is ${Math.round(skewS)} s from now; the window is ${auth.windowS} s`;
  if (signature === undefined || !/^sha256=[0-9a-f]{64}$/.test(signature)) return `${SIGNATURE_HEADER} must be sha256=<64 hex digits>`;
  const expected = Buffer.from(signWebhook(auth.secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'the signature does not match the body and timestamp';
}

export function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function webhookAuthFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookAuth {
  const secret = env.SWITCHYARD_WEBHOOK_SECRET ?? '';
  if (secret !== '' && secret.length < 32) throw new Error('SWITCHYARD_WEBHOOK_SECRET must be at least 32 characters');
  const rawWindow = env.SWITCHYARD_WEBHOOK_WINDOW_S;
  const windowS = rawWindow === undefined || rawWindow === '' ? DEFAULT_WEBHOOK_WINDOW_S : Number(rawWindow);
  if (!Number.isInteger(windowS) || windowS < 1 || windowS > 3600) throw new Error(`SWITCHYARD_WEBHOOK_WINDOW_S must be whole seconds from 1 to 3600, got "${rawWindow}"`);
  return { secret: secret === '' ? null : secret, windowS };
}
