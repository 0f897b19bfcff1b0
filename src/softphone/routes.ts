// GET /api/v1/auth/me/sip: the logged-in browser's own SIP credentials (session only, never cached).
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.js';
import { actorOf } from '../http/auth.js';
import { ownSipCredentials, type SoftphoneSettings } from './credentials.js';

export function registerSoftphoneRoutes(app: FastifyInstance, deps: { db: Db; settings: SoftphoneSettings | ReadonlyMap<string, SoftphoneSettings> }): void {
  app.get('/api/v1/auth/me/sip', {
    schema: {
      tags: ['auth'],
      summary: "Your browser phone's SIP credentials (your own only; with the session cookie, not an API token)",
      querystring: { type: 'object', additionalProperties: false, properties: {} },
    },
  }, async (req, reply) => {
    const creds = await ownSipCredentials({ db: deps.db, actor: actorOf(req), authBy: req.authBy, settings: deps.settings });
    reply.header('cache-control', 'no-store');
    return creds;
  });
}
