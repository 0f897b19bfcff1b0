// Bearer-token authentication for /api/v1: resolves the Actor every route and domain function uses.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { CtiError } from '../lib/errors.js';
import { actorForToken, type Actor } from '../users/users.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export function registerAuth(app: FastifyInstance, db: Db): void {
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (!req.url.startsWith('/api/v1/')) return;
    const h = req.headers.authorization;
    const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
    if (!m?.[1]) throw new CtiError('CTI_ERR_UNAUTHORIZED');
    const actor = actorForToken(db, m[1]);
    if (!actor) throw new CtiError('CTI_ERR_UNAUTHORIZED', 'This API token is not valid');
    req.actor = actor;
  });
}

export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new CtiError('CTI_ERR_UNAUTHORIZED');
  return req.actor;
}
