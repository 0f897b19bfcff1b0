// The admin API for API tokens (README, "API tokens and revocation"): list, create (the secret shown
// once), revoke. Admins only; the domain functions in tokens.ts check it on their first line.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { actorOf } from '../http/auth.js';
import { adminCreateToken, adminListTokens, adminRevokeToken } from './tokens.js';

const tokenSchema = {
  $id: 'ApiToken',
  type: 'object',
  properties: {
    id: { type: 'string' }, userId: { type: 'string' }, userName: { type: 'string' }, label: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' }, expiresAt: { type: ['string', 'null'] }, lastUsedAt: { type: ['string', 'null'] },
  },
} as const;
const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

export function registerTokenRoutes(app: FastifyInstance, deps: { db: Db }): void {
  const ctx = (req: FastifyRequest) => ({ db: deps.db, actor: actorOf(req) });
  app.addSchema(tokenSchema);

  app.get<{ Querystring: { userId?: string; userName?: string } }>('/api/v1/tokens', {
    schema: {
      tags: ['tokens'], summary: 'API tokens, oldest first (admins); never the secret', security: [{ bearer: [] }],
      querystring: { type: 'object', additionalProperties: false, properties: { userId: { type: 'string', maxLength: 64 }, userName: { type: 'string', maxLength: 64 } } },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'ApiToken#' } } } } },
    },
  }, async (req) => ({ items: await adminListTokens(ctx(req), req.query) }));

  app.post<{ Body: { userId?: string; userName?: string; label?: string | null; expiresAt?: string | null } }>('/api/v1/tokens', {
    schema: {
      tags: ['tokens'], summary: 'Create an API token for a user (admins); the token is in this answer only', security: [{ bearer: [] }],
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          userId: { type: 'string', maxLength: 64 }, userName: { type: 'string', minLength: 1, maxLength: 64 },
          label: { type: ['string', 'null'], maxLength: 100 },
          /** An ISO 8601 date or date-time, or a duration from now (30d, 12h); absent or null: no expiry. */
          expiresAt: { type: ['string', 'null'], maxLength: 40 },
        },
      },
      response: { 201: { allOf: [{ $ref: 'ApiToken#' }, { type: 'object', properties: { token: { type: 'string' } } }] } },
    },
  }, async (req, reply) => reply.code(201).send(await adminCreateToken(ctx(req), req.body ?? {})));

  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', {
    schema: { tags: ['tokens'], summary: 'Revoke an API token (admins): its next request gets 401', security: [{ bearer: [] }], params: idParams },
  }, async (req, reply) => {
    await adminRevokeToken(ctx(req), req.params.id);
    return reply.code(204).send();
  });
}
