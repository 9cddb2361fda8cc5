import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import type { Role, TokenInfo, TokenStore } from './tokens.ts';

/**
 * Who may call a route. Every /api route declares it in `config.access`:
 *  - 'read': site and telemetry reads. Open on the embedded setup; with
 *    SWITCHYARD_READ_REQUIRES_TOKEN=1 it needs viewer, operator, finance or admin.
 *  - a list of roles: a token with one of them is required (401 without or with an unknown
 *    token, 403 with another role). Admin passes wherever a person's role is listed, never on
 *    an agent-only route (see tokens.ts for why).
 * Pages and static assets (outside /api) are public: they carry no data.
 */
export type Access = 'read' | 'public' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: TokenInfo | null;
  }
}

export const READ_ROLES: readonly Role[] = ['viewer', 'operator', 'finance', 'admin'];
/** Browsers cannot set headers on a WebSocket; the page offers the token as a subprotocol. */
export const WS_TOKEN_PROTOCOL_PREFIX = 'bearer.';

export function roleAllows(role: Role, allowed: readonly Role[]): boolean {
  if (allowed.includes(role)) return true;
  return role === 'admin' && allowed.some((r) => r !== 'agent');
}

function presentedSecret(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new ApiError('E_UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
    return m[1]!;
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const p of protocols.split(',')) {
      const v = p.trim();
      if (v.startsWith(WS_TOKEN_PROTOCOL_PREFIX)) return v.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
    }
  }
  return null;
}

export interface AuthOptions {
  tokens: TokenStore;
  readRequiresToken: boolean;
}

export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, opts) => {
    app.decorateRequest('principal', null);

    app.addHook('onRoute', (route) => {
      const access = route.config?.access;
      if (access !== undefined) return;
      if (route.url.startsWith('/api')) {
        throw new Error(`route ${route.method} ${route.url} declares no config.access`);
      }
      route.config = { ...(route.config ?? {}), access: 'public' };
    });

    app.addHook('onRequest', async (req) => {
      const access = req.routeOptions.config.access ?? 'public';
      const secret = presentedSecret(req);
      if (secret !== null) {
        const token = await opts.tokens.verify(secret);
        if (!token) throw new ApiError('E_UNAUTHENTICATED', 'the bearer token is unknown or revoked');
        req.principal = token;
      }
      if (access === 'public') return;
      if (access === 'read' && !opts.readRequiresToken) return;
      const allowed = access === 'read' ? READ_ROLES : access;
      if (!req.principal) throw new ApiError('E_UNAUTHENTICATED');
      if (!roleAllows(req.principal.role, allowed)) {
        throw new ApiError('E_FORBIDDEN', `role "${req.principal.role}" may not do this; allowed: ${allowed.join(', ')}`);
      }
    });
  },
  { name: 'switchyard-auth' },
);
