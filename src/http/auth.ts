// Authentication for /api/v1: a Bearer API token (scripts, the CRM) or the browser's session cookie.
// Resolves the Actor every route and domain function uses. A change (POST/PUT/PATCH/DELETE) made with
// the cookie must carry `X-CTI-CSRF: 1`: a header a cross-site form cannot send, and one a cross-site
// script cannot add without a CORS preflight we never grant (docs/design/browser-contract.md).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { CtiError } from '../lib/errors.js';
import { actorForSession, readCookie, SESSION_COOKIE } from '../users/sessions.js';
import { actorForToken, type Actor } from '../users/users.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    /** How the actor was authenticated. */
    authBy: 'token' | 'session' | null;
  }
}

/** Routes that need no actor: logging in, and logging out (which only clears what there is). */
/** The demo's logins too: answered only when the service runs as the demo (src/demo/routes.ts). */
const OPEN = new Set(['/api/v1/auth/login', '/api/v1/auth/logout', '/api/v1/auth/demo']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function registerAuth(app: FastifyInstance, db: Db): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('authBy', null);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (!req.url.startsWith('/api/v1/')) return;
    const path = req.url.split('?', 1)[0]!;
    if (OPEN.has(path)) return;
    const h = req.headers.authorization;
    if (h) {
      const m = /^Bearer\s+(\S+)$/i.exec(h);
      if (!m?.[1]) throw new CtiError('CTI_ERR_UNAUTHORIZED');
      const actor = await actorForToken(db, m[1]);
      if (!actor) throw new CtiError('CTI_ERR_UNAUTHORIZED', 'This API token is not valid');
      req.actor = actor;
      req.authBy = 'token';
      return;
    }
    const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
    const actor = sid ? await actorForSession(db, sid) : null;
    if (!actor) throw new CtiError('CTI_ERR_UNAUTHORIZED', sid ? 'Your session has ended; log in again' : undefined);
    if (!SAFE_METHODS.has(req.method) && req.headers['x-cti-csrf'] !== '1') throw new CtiError('CTI_ERR_CSRF');
    req.actor = actor;
    req.authBy = 'session';
  });
}

export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new CtiError('CTI_ERR_UNAUTHORIZED');
  return req.actor;
}
