import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CurtailmentEngine } from '../../curtailment/engine.ts';
import { EventStatus } from '../../curtailment/event-record.ts';
import { checkGridDispatch, dispatchWindow } from '../../curtailment/webhook-schema.ts';
import { Strict } from '../../lib/strict.ts';
import { roleAllows } from '../auth/plugin.ts';
import { ApiError } from '../errors.ts';
import { NoQuery, responses } from '../schemas.ts';
import { bodyHash, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignatureProblem, type WebhookAuth } from '../webhook-signature.ts';

/**
 * POST /api/curtailment/dispatch: the grid operator's dispatch webhook. Authenticated by an
 * operator or admin bearer token, or by an HMAC signature (webhook-signature.ts). A dispatch
 * with an eventId is idempotent through the engine's record; one without is idempotent for
 * the replay window through a hash of its body, so a sender's retry is not a second event.
 */

const Created = Strict({ eventId: Type.String(), status: EventStatus });
const ANY_BODY = Type.Unknown();

export interface DispatchWebhookOptions {
  auth: WebhookAuth;
  engine: () => CurtailmentEngine;
  /** Maps a body or engine error to the client's 4xx. */
  clientError: (err: unknown) => never;
}

export async function dispatchWebhookRoutes(app: FastifyInstance, opts: DispatchWebhookOptions): Promise<void> {
  // The signature covers the bytes as sent, so this route keeps them (encapsulated: only here).
  const rawBodies = new WeakMap<FastifyRequest, string>();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    rawBodies.set(req, body as string);
    parseJson(req, body as string, done);
  });

  const recent = new Map<string, { atMs: number; result: Promise<{ eventId: string }> }>();
  const forgetOld = (now: number) => {
    for (const [k, v] of recent) if (now - v.atMs > opts.auth.windowS * 1000) recent.delete(k);
  };

  const authenticate = (req: FastifyRequest): string => {
    const signature = req.headers[SIGNATURE_HEADER];
    if (signature !== undefined) {
      const timestamp = req.headers[TIMESTAMP_HEADER];
      const problem = webhookSignatureProblem(opts.auth, typeof timestamp === 'string' ? timestamp : undefined, typeof signature === 'string' ? signature : undefined, rawBodies.get(req) ?? '', Date.now());
      if (problem) throw new ApiError('E_UNAUTHENTICATED', `signed dispatch refused: ${problem}`);
      return 'webhook:signed';
    }
    if (!req.principal) throw new ApiError('E_UNAUTHENTICATED', `a bearer token (operator or admin) or a signed request (${SIGNATURE_HEADER}, ${TIMESTAMP_HEADER}) is required`);
    if (!roleAllows(req.principal.role, ['operator', 'admin'])) throw new ApiError('E_FORBIDDEN', `role "${req.principal.role}" may not dispatch; allowed: operator, admin`);
    return req.principal.name;
  };

  app.post(
    '/api/curtailment/dispatch',
    // 'public' to the auth plugin: this handler authenticates (a token or a signature).
    { config: { access: 'public' }, schema: { querystring: NoQuery, body: ANY_BODY, response: responses({ 202: Created }) } },
    async (req, reply) => {
      const requestedBy = authenticate(req);
      try {
        const body = checkGridDispatch(req.body);
        const { startMs, endMs } = dispatchWindow(body);
        const target = body.targetMw !== undefined ? { targetMw: body.targetMw } : { shedMw: body.shedMw! };
        const request = () => opts.engine().request({ program: body.service ?? 'grid-dispatch', programName: body.program, target, startMs, endMs, requestedBy, ...(body.allowHardCut ? { allowHardCut: true } : {}), ...(body.eventId ? { externalId: `dispatch:${body.eventId}` } : {}) });
        let result: Promise<{ eventId: string }>;
        if (body.eventId) result = request();
        else {
          const now = Date.now();
          forgetOld(now);
          const key = bodyHash(JSON.stringify(body));
          const seen = recent.get(key);
          if (seen) result = seen.result;
          else {
            result = request();
            recent.set(key, { atMs: now, result });
            // A failed request is not remembered: the sender may retry it.
            result.catch(() => recent.delete(key));
          }
        }
        const { eventId } = await result;
        // Received by another instance too, the event may be that instance's: its status is in the store.
        return reply.status(202).send({ eventId, status: (await opts.engine().load(eventId))!.status });
      } catch (err) {
        return opts.clientError(err);
      }
    },
  );
}
