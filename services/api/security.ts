import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';

/**
 * Security headers and a per-address request budget, both from kept fastify plugins
 * (@fastify/helmet, @fastify/rate-limit) rather than hand-written hooks: they are maintained,
 * their defaults are reviewed by many, and the rate limiter already answers 429 with
 * Retry-After and the x-ratelimit headers clients understand.
 */

export const DEFAULT_RATE_LIMIT_PER_MIN = 3000;

export interface SecurityOptions {
  /** Requests per minute per client address (SWITCHYARD_RATE_LIMIT_PER_MIN). */
  rateLimitPerMin: number;
}

export async function registerSecurity(app: FastifyInstance, opts: SecurityOptions): Promise<void> {
  await app.register(helmet, {
    // Pages load their own scripts and the vendored ApexCharts; charts set inline styles.
    contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'connect-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"] } },
    // The pages are plain http on loopback by default; HSTS is the TLS proxy's to send.
    strictTransportSecurity: false,
  });
  await app.register(rateLimit, {
    global: true,
    max: opts.rateLimitPerMin,
    timeWindow: 60_000,
    // An injected websocket upgrade (tests) has no req.ip; the plugin's default key would throw.
    keyGenerator: (req) => req.ip ?? req.socket?.remoteAddress ?? 'unknown',
    errorResponseBuilder: (_req, ctx) => new ApiError('E_TOO_MANY_REQUESTS', `more than ${ctx.max} requests a minute from this address; retry in ${ctx.after}`),
  });
}

export function rateLimitFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SWITCHYARD_RATE_LIMIT_PER_MIN;
  if (raw === undefined || raw === '') return DEFAULT_RATE_LIMIT_PER_MIN;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`SWITCHYARD_RATE_LIMIT_PER_MIN must be a positive integer, got "${raw}"`);
  return v;
}
