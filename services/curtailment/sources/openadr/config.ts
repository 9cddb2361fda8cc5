import { Type, type Static } from '@sinclair/typebox';
import { check, ValidationError } from '../../../domain/schema.ts';
import { Strict } from '../../../lib/strict.ts';

/**
 * The OpenADR 3 VEN's configuration. The Definition ("VEN enrollment") requires a VEN to let
 * its user set the VTN URL and the OAuth2 client credentials; the rest is ours. Checked once
 * at start-up, without opening a connection; unknown keys are rejected.
 */
export const OpenAdrVenConfig = Strict({
  /** Base URL of the VTN's API, path included (e.g. https://vtn.example/openadr3/3.0.1). */
  vtnUrl: Type.String({ format: 'uri', pattern: '^https?://' }),
  /**
   * OAuth2 token endpoint. Default `<vtnUrl>/auth/token`; the specification calls that
   * endpoint a convenience a commercial VTN may leave to a separate authorization server.
   */
  tokenUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://' })),
  clientId: Type.String({ minLength: 1, maxLength: 4096 }),
  clientSecret: Type.String({ minLength: 1, maxLength: 4096 }),
  /** Our name at the VTN: the clientName of every report we post. */
  venName: Type.String({ minLength: 1, maxLength: 128 }),
  /** Programs to follow, by programName; default: every program the VTN shows us. */
  programNames: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, uniqueItems: true })),
  pollIntervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 10_000 }),
  /** Per HTTP request, connection to last byte. */
  requestTimeoutMs: Type.Integer({ minimum: 10, maximum: 120_000, default: 10_000 }),
  /** Longest wait between polls while the VTN fails; default max(pollIntervalMs, 60 s). */
  maxBackoffMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 3_600_000 })),
  siteId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
  /** The resourceName of our reports; default the site id (the revenue meter is one resource). */
  resourceName: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** May OpenADR events cap AI load (within each contract's flexibility)? */
  allowAi: Type.Boolean({ default: false }),
  /**
   * How long we hold an event that has no end ("P9999Y", User Guide 7.3) before the engine
   * restores on its own; the VTN ends it sooner by deleting it. Default one day.
   */
  openEndedMaxMs: Type.Integer({ minimum: 60_000, maximum: 7 * 86_400_000, default: 86_400_000 }),
});
export type OpenAdrVenConfig = Static<typeof OpenAdrVenConfig>;

/**
 * Validates (and fills defaults into a copy of) a VEN configuration; throws ValidationError.
 * The VEN sends its client secret to the token URL and the VTN's bearer token on every poll:
 * both must be https:// unless they stay on this machine (loopback: a local test VTN).
 */
export function checkOpenAdrVenConfig(value: unknown): OpenAdrVenConfig {
  const config = check(OpenAdrVenConfig, structuredClone(value), 'OpenADR VEN configuration');
  const clear = (['vtnUrl', 'tokenUrl'] as const).filter((k) => config[k] !== undefined && !secureOrLoopback(config[k]!));
  if (clear.length > 0) {
    throw new ValidationError(
      'OpenADR VEN configuration',
      clear.map((k) => ({ path: `/${k}`, message: `must be https:// outside loopback: over ${config[k]} the client secret and tokens would travel in clear` })),
    );
  }
  return config;
}

function secureOrLoopback(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'https:') return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
