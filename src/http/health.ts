// GET /healthz for load balancers and monitoring. Anyone may ask whether we are up (200) or down (503:
// AMI or ARI not connected); only an admin (API token or session) gets the connection states, whose
// errors name PBX users, hosts and ports, and the number of live calls.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import type { PbxLink } from '../pbx/pbx.js';
import { MAIN_PBX } from '../pbx/pbx-id.js';
import { actorForSession, readCookie, SESSION_COOKIE } from '../users/sessions.js';
import { actorForToken, type Actor } from '../users/users.js';

export interface HealthDeps {
  db: Db;
  /** The PBXs this instance is attached to; none (API only, or another instance leads) counts as up. */
  pbxes: () => readonly { id: string; link: PbxLink }[];
  liveCalls: () => number;
  /** single: one process; several instances: the leader (attached to the PBX) or a follower. */
  role: () => 'single' | 'leader' | 'follower';
}

/** The caller if they sent a valid token or session; /healthz is outside /api/v1, so no hook did it. */
async function callerOf(db: Db, req: FastifyRequest): Promise<Actor | null> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer) return actorForToken(db, bearer);
  const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
  return sid ? actorForSession(db, sid) : null;
}

export function registerHealth(app: FastifyInstance, deps: HealthDeps): void {
  const state = { type: 'string', description: 'connected, connecting, disconnected, login_failed or disabled' };
  const link = { type: 'object', properties: { state, error: { type: ['string', 'null'] } } };
  const body = {
    type: 'object',
    required: ['status'],
    properties: {
      status: { type: 'string', enum: ['up', 'down'] },
      ami: { ...link, description: 'admins only' },
      ari: { ...link, description: 'admins only' },
      liveCalls: { type: 'integer', description: 'admins only' },
      role: { type: 'string', enum: ['single', 'leader', 'follower'], description: 'admins only: several instances (CTI_CLUSTER) have one leader, attached to the PBX' },
      pbxes: {
        type: 'array', description: 'admins only: every PBX of the deployment (ami and ari above are main\'s)',
        items: { type: 'object', properties: { id: { type: 'string' }, ami: link, ari: link } },
      },
    },
  };
  app.get('/healthz', {
    schema: {
      tags: ['health'], summary: 'Up or down (AMI and, when configured, ARI connected); admins also get the connection states',
      response: { 200: body, 503: body },
    },
  }, async (req, reply) => {
    const all = deps.pbxes().map((p) => ({ id: p.id, ...p.link.health() }));
    // Down while any PBX is: its calls are not followed, its callers not routed.
    const up = all.every((h) => h.ami.state === 'connected' && (h.ari.state === 'connected' || h.ari.state === 'disabled'));
    const h = all.find((p) => p.id === MAIN_PBX) ?? all[0] ?? null;
    reply.code(up ? 200 : 503);
    const status = up ? 'up' : 'down';
    if ((await callerOf(deps.db, req))?.role !== 'admin') return { status };
    const disabled = { state: 'disabled', error: null };
    return { status, ami: h?.ami ?? disabled, ari: h?.ari ?? disabled, liveCalls: deps.liveCalls(), role: deps.role(), pbxes: all };
  });
}
