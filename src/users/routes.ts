// Login, logout, "me" and the admin users API (docs/design/browser-contract.md, "Sessions and login").
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { PHONE_MODES, ROLES, type PhoneMode, type Role } from '../db/schema/index.js';
import { actorOf } from '../http/auth.js';
import type { LoginLimiter } from './login-limiter.js';
import { createSession, deleteSession, login, readCookie, SESSION_COOKIE, sessionCookie } from './sessions.js';
import {
  adminAddUser, adminDeleteUser, adminListUsers, adminUpdateUser, getUserView, LANGUAGES, listManagers, setOwnLanguage, userView, type Language, type UserView,
} from './users.js';
import type { UserAccess } from './access.js';

export interface UserRoutesDeps {
  db: Db;
  limiter: LoginLimiter;
  sessionTtlMs: number;
  cookieSecure: boolean;
  /** Told when a logout, a password, role or extension change or a deletion must end sockets (src/realtime). */
  access?: UserAccess;
  /** Where national forms of a user's mobile are read (CTI_DEFAULT_REGION); default RU. */
  region?: string;
  /** The deployment's PBX ids (src/pbx/pbxes.ts): a user's `pbx` is one of them. */
  pbxIds?: readonly string[];
  /** A user was added, changed or deleted (null): the browser phone's PBX endpoint follows (src/softphone). */
  onUserChanged?: (before: UserView | null, after: UserView | null) => void;
}

const userSchema = {
  $id: 'User',
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ROLES },
    pbx: { type: 'string', description: 'The PBX the extension is on (GET /api/v1/pbxes)' },
    extension: { type: ['string', 'null'] },
    mobile: { type: ['string', 'null'], description: 'The mobile in E.164 (+79161234567), or null' },
    language: { type: 'string', enum: LANGUAGES },
    phoneMode: { type: 'string', enum: PHONE_MODES },
  },
} as const;
const phoneMode = { type: 'string', enum: PHONE_MODES } as const;
const userBody = { type: 'object', properties: { user: { $ref: 'User#' } } } as const;
const extension = { type: ['string', 'null'], pattern: '^[0-9]{2,6}$' } as const;
const pbx = { type: 'string', maxLength: 32, description: 'the PBX the extension is on (default main)' } as const;
const password = { type: 'string', minLength: 8, maxLength: 256 } as const;
/** Any form parsePhone reads ("+7 916 000-01-03", "89160000103"); stored in E.164; null or "" removes it. */
const mobile = {
  type: ['string', 'null'], maxLength: 40,
  description: 'The user\'s mobile, any usual form (stored as E.164); null or "" for none. A call forwarded or followed-me there and answered there is theirs. 400 when not a number, 409 CTI_ERR_MOBILE_TAKEN when another user has it.',
} as const;

export function registerUserRoutes(app: FastifyInstance, deps: UserRoutesDeps): void {
  const { db } = deps;
  const ctx = (req: FastifyRequest) => ({ db, actor: actorOf(req), access: deps.access, region: deps.region, ...(deps.pbxIds ? { pbxIds: deps.pbxIds } : {}) });
  const secure = (req: FastifyRequest) => deps.cookieSecure || req.protocol === 'https';
  app.addSchema(userSchema);

  app.post<{ Body: { username: string; password: string } }>('/api/v1/auth/login', {
    schema: {
      tags: ['auth'], summary: 'Log in: sets the session cookie',
      body: {
        type: 'object', additionalProperties: false, required: ['username', 'password'],
        properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', maxLength: 256 } },
      },
      response: { 200: userBody },
    },
  }, async (req, reply) => {
    const user = await login(db, deps.limiter, { username: req.body.username, password: req.body.password, ip: req.ip });
    const s = await createSession(db, user.id, deps.sessionTtlMs);
    reply.header('set-cookie', sessionCookie(s.id, Math.floor(deps.sessionTtlMs / 1000), secure(req)));
    return { user: userView(user) };
  });

  app.post('/api/v1/auth/logout', { schema: { tags: ['auth'], summary: 'Log out: ends the session, clears the cookie' } }, async (req, reply: FastifyReply) => {
    const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
    const ended = sid ? await deleteSession(db, sid) : null;
    if (ended) deps.access?.sessionEnded(ended.userId, ended.sessionHash);
    reply.header('set-cookie', sessionCookie('', 0, secure(req)));
    return reply.code(204).send();
  });

  app.get('/api/v1/auth/me', { schema: { tags: ['auth'], summary: 'Who is logged in', response: { 200: userBody } } },
    async (req) => ({ user: await getUserView(db, actorOf(req).id) }));

  app.patch<{ Body: { language: Language } }>('/api/v1/auth/me', {
    schema: {
      tags: ['auth'], summary: 'Choose your language',
      body: { type: 'object', additionalProperties: false, required: ['language'], properties: { language: { type: 'string', enum: LANGUAGES } } },
      response: { 200: userBody },
    },
  }, async (req) => ({ user: await setOwnLanguage(ctx(req), req.body.language) }));

  app.get('/api/v1/users', {
    schema: { tags: ['users'], summary: 'All users (admins)', security: [{ bearer: [] }], response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'User#' } } } } } },
  }, async (req) => ({ items: await adminListUsers(ctx(req)) }));

  app.get('/api/v1/managers', {
    schema: {
      tags: ['users'], summary: 'The managers and anyone with an extension, by name (supervisors and admins): who calls are credited to, who may own a client',
      security: [{ bearer: [] }],
      response: {
        200: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ROLES }, pbx: { type: 'string' }, extension: { type: ['string', 'null'] } } },
            },
          },
        },
      },
    },
  }, async (req) => ({ items: await listManagers(ctx(req)) }));

  app.post<{ Body: { name: string; role: Role; pbx?: string; extension?: string | null; mobile?: string | null; language?: Language; password: string; phoneMode?: PhoneMode } }>('/api/v1/users', {
    schema: {
      tags: ['users'], summary: 'Add a user (admins)', security: [{ bearer: [] }],
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'role', 'password'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, role: { type: 'string', enum: ROLES }, pbx, extension, mobile, language: { type: 'string', enum: LANGUAGES }, password, phoneMode },
      },
      response: { 201: { $ref: 'User#' } },
    },
  }, async (req, reply) => {
    const u = await adminAddUser(ctx(req), req.body);
    deps.onUserChanged?.(null, u);
    return reply.code(201).send(u);
  });

  app.patch<{ Params: { id: string }; Body: { role?: Role; pbx?: string; extension?: string | null; mobile?: string | null; language?: Language; password?: string; phoneMode?: PhoneMode } }>('/api/v1/users/:id', {
    schema: {
      tags: ['users'], summary: 'Change a user (admins)', security: [{ bearer: [] }],
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
      body: {
        type: 'object', additionalProperties: false,
        properties: { role: { type: 'string', enum: ROLES }, pbx, extension, mobile, language: { type: 'string', enum: LANGUAGES }, password, phoneMode },
      },
      response: { 200: { $ref: 'User#' } },
    },
  }, async (req) => {
    const before = ctx(req).actor.role === 'admin' ? await getUserView(db, req.params.id) : null;
    const u = await adminUpdateUser(ctx(req), req.params.id, req.body);
    deps.onUserChanged?.(before, u);
    return u;
  });

  app.delete<{ Params: { id: string } }>('/api/v1/users/:id', {
    schema: {
      tags: ['users'], summary: 'Delete a user (admins)', security: [{ bearer: [] }],
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
    },
  }, async (req, reply) => {
    const before = ctx(req).actor.role === 'admin' ? await getUserView(db, req.params.id) : null;
    await adminDeleteUser(ctx(req), req.params.id);
    deps.onUserChanged?.(before, null);
    return reply.code(204).send();
  });
}
