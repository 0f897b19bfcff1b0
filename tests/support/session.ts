// Service-tier helpers for the browser's side: users with passwords, logging in (the session cookie),
// and socket.io clients on a listening app.
import type { FastifyInstance } from 'fastify';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/contract/index.js';
import { openDb } from '../../src/db/client.js';
import { createSession, SESSION_COOKIE } from '../../src/users/sessions.js';
import { addUser, findUser } from '../../src/users/users.js';

export const PASSWORD = 'correct horse battery';

export async function seedPasswordUser(app: FastifyInstance, name: string, role: 'manager' | 'supervisor' | 'admin', extension: string | null = null): Promise<string> {
  return (await addUser(app.db, { name, role, extension, password: PASSWORD })).id;
}

/** Logs in and returns the `cti_session=...` cookie pair to send back. */
export async function loginCookie(app: FastifyInstance, name: string, password = PASSWORD): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: name, password } });
  if (r.statusCode !== 200) throw new Error(`login ${name}: ${r.statusCode} ${r.body}`);
  const set = String(r.headers['set-cookie']);
  return set.split(';')[0]!;
}

/** A session cookie for NAME written straight into the database of a service running elsewhere (a child process). */
export async function sessionCookieIn(dbFile: string, name: string): Promise<string> {
  const h = await openDb(dbFile);
  try {
    return `${SESSION_COOKIE}=${createSession(h.db, findUser(h.db, name)!.id, 3_600_000).id}`;
  } finally {
    await h.close();
  }
}

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A connected socket.io client (websocket transport) with this cookie; rejects with the connect_error. */
export function socketFor(url: string, cookie: string | null): Promise<ClientSocket> {
  const s: ClientSocket = connect(url, { path: '/socket.io', transports: ['websocket'], extraHeaders: cookie ? { cookie } : {}, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => { s.close(); reject(err); });
  });
}
