import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { responses } from '../schemas.ts';
import type { AuditStore } from '../audit/audit-log.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    atMs: Type.Integer(),
    actor: Type.String({ description: 'token id, cli:<user>, anonymous or system' }),
    actorName: Nullable(Type.String()),
    actorRole: Nullable(Type.String()),
    action: Type.String(),
    detail: Type.Record(Type.String(), Type.Unknown()),
    fromAddr: Nullable(Type.String()),
    userAgent: Nullable(Type.String()),
    outcome: Nullable(Type.String({ description: 'HTTP status, or ok for a local CLI action' })),
    requestId: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

const AuditQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'entries, 1–1000 (default 100)' })),
    before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'only entries with a smaller id (paging)' })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'action prefix, e.g. "POST /api/curtailment" or "token."' })),
  },
  { additionalProperties: false },
);

/** GET /api/audit: the audit log, newest first. Admin only. */
export async function auditRoutes(app: FastifyInstance, opts: { audit: AuditStore }): Promise<void> {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/api/audit',
    {
      config: { access: ['admin'] },
      schema: {
        description: 'The audit log of control actions: who, what, when, from where, outcome. Newest first.',
        querystring: AuditQuery,
        response: responses({ 200: Type.Object({ entries: Type.Array(AuditEntrySchema) }, { additionalProperties: false }) }),
      },
    },
    async (req) => {
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
      if (limit > 1000) throw new ApiError('E_RANGE', `limit ${limit} is over 1000`);
      return {
        entries: await opts.audit.list({
          limit,
          ...(req.query.before !== undefined ? { beforeId: Number(req.query.before) } : {}),
          ...(req.query.actor !== undefined ? { actor: req.query.actor } : {}),
          ...(req.query.action !== undefined ? { actionPrefix: req.query.action } : {}),
        }),
      };
    },
  );
}
