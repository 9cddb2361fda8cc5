import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ROLES } from '../auth/tokens.ts';
import { ApiError } from '../errors.ts';
import { NoQuery, responses } from '../schemas.ts';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Nullable = <T extends ReturnType<typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);

const TokenInfoSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    createdAtMs: Type.Integer(),
    lastUsedAtMs: Nullable(Type.Integer()),
    revokedAtMs: Nullable(Type.Integer()),
  },
  { additionalProperties: false },
);

const CreateTokenBody = Type.Object(
  {
    /** A label for people; for an agent token, the agentId it may ship batches for. */
    name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9 _.:@-]*$' }),
    role: RoleSchema,
  },
  { additionalProperties: false },
);
type CreateTokenBody = Static<typeof CreateTokenBody>;

const TokenIdParams = Type.Object({ id: Type.String({ pattern: '^tok_[0-9a-f]{12}$' }) }, { additionalProperties: false });
type TokenIdParams = Static<typeof TokenIdParams>;

const TokenList = Type.Object({ tokens: Type.Array(TokenInfoSchema) }, { additionalProperties: false });
const CreatedTokenSchema = Type.Object(
  { token: TokenInfoSchema, secret: Type.String({ description: 'shown once; only its SHA-256 is kept' }) },
  { additionalProperties: false },
);
const OneToken = Type.Object({ token: TokenInfoSchema }, { additionalProperties: false });

/** Token management: admin only, always (whatever SWITCHYARD_READ_REQUIRES_TOKEN says). */
export async function tokenRoutes(app: FastifyInstance): Promise<void> {
  const { tokens, log } = app.services;

  app.get(
    '/api/tokens',
    { config: { access: ['admin'] }, schema: { querystring: NoQuery, response: responses({ 200: TokenList }) } },
    async () => ({ tokens: await tokens.list() }),
  );

  app.post<{ Body: CreateTokenBody }>(
    '/api/tokens',
    {
      config: { access: ['admin'] },
      schema: { querystring: NoQuery, body: CreateTokenBody, response: responses({ 201: CreatedTokenSchema }) },
    },
    async (req, reply) => {
      const created = await tokens.create(req.body, req.principal?.id);
      log.info({ tokenId: created.token.id, role: created.token.role, by: req.principal?.id }, 'token created');
      return reply.status(201).send(created);
    },
  );

  app.delete<{ Params: TokenIdParams }>(
    '/api/tokens/:id',
    {
      config: { access: ['admin'] },
      schema: { params: TokenIdParams, querystring: NoQuery, response: responses({ 200: OneToken }) },
    },
    async (req) => {
      const token = await tokens.revoke(req.params.id, req.principal?.id);
      if (!token) throw new ApiError('E_NOT_FOUND', `no token ${req.params.id}`);
      log.info({ tokenId: token.id, by: req.principal?.id }, 'token revoked');
      return { token };
    },
  );
}
