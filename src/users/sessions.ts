// Browser sessions and login (issue 4). The cookie carries 32 random bytes; the database keeps only
// their SHA-256, so neither a database copy nor a log line lets anyone in. Passwords are argon2id
// (users.password_hash); an unknown user name costs the same argon2 verify as a wrong password.
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first } from '../db/query.js';
import { sessions, users, type UserRow } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import { userNameKey } from '../lib/text.js';
import type { LoginLimiter } from './login-limiter.js';
import type { Actor } from './users.js';

export const SESSION_COOKIE = 'cti_session';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A hash to verify against when the user does not exist, so both failures take as long. */
let dummyHash: Promise<string> | null = null;
const dummy = () => (dummyHash ??= hash(randomBytes(16).toString('hex')));

export interface LoginInput {
  username: string;
  password: string;
  ip: string;
}

/**
 * Checks the password; 429 after too many failures for this name from this address, or from this
 * address at all (login-limiter.ts); 401 otherwise.
 */
export async function login(db: Db, limiter: LoginLimiter, input: LoginInput): Promise<UserRow> {
  // Counted as a failure before the (slow) verify, in one transaction with the check, so parallel
  // guesses cannot all pass the check before any is counted; a right password clears it again.
  if (!(await limiter.attempt(input.username, input.ip))) throw new CtiError('CTI_ERR_TOO_MANY_ATTEMPTS');
  const user = await first(db.select().from(users).where(eq(users.name, userNameKey(input.username))).limit(1));
  let ok = false;
  try {
    ok = await verify(user?.passwordHash ?? (await dummy()), input.password);
  } catch {
    ok = false;
  }
  if (!user || !user.passwordHash || !ok) throw new CtiError('CTI_ERR_LOGIN_FAILED');
  await limiter.succeed(input.username, input.ip);
  return user;
}

/** A new session for the user: returns the clear id, the only time it exists. */
export async function createSession(db: Db, userId: string, ttlMs: number, now = Date.now()): Promise<{ id: string; expiresAt: number }> {
  const id = randomBytes(32).toString('base64url');
  const expiresAt = now + ttlMs;
  await db.insert(sessions).values({ idHash: sha256(id), userId, createdAt: now, expiresAt });
  // Old sessions go as new ones come: no timer needed.
  await db.delete(sessions).where(lt(sessions.expiresAt, now));
  return { id, expiresAt };
}

/** Ends one session (logout); returns whose it was, for src/users/access.ts, or null if there was none. */
export async function deleteSession(db: Db, id: string): Promise<{ userId: string; sessionHash: string } | null> {
  const sessionHash = sha256(id);
  const [row] = await db.delete(sessions).where(eq(sessions.idHash, sessionHash)).returning({ userId: sessions.userId });
  return row ? { userId: row.userId, sessionHash } : null;
}

/** The user of a live session, or null (unknown, expired, or the user was deleted). */
export async function actorForSession(db: Db, id: string, now = Date.now()): Promise<Actor | null> {
  return (await sessionByHash(db, sha256(id), now))?.actor ?? null;
}

/** A session as the realtime hub keeps it: by its stored hash (the clear id stays in the cookie). */
export interface LiveSession {
  actor: Actor;
  expiresAt: number;
  sessionHash: string;
}

export function liveSession(db: Db, id: string, now = Date.now()): Promise<LiveSession | null> {
  return sessionByHash(db, sha256(id), now);
}

/** The session with this hash if it is still valid, with its user as the database has them now. */
export async function sessionByHash(db: Db, sessionHash: string, now = Date.now()): Promise<LiveSession | null> {
  const row = await first(db
    .select({ id: users.id, name: users.name, role: users.role, pbxId: users.pbxId, extension: users.extension, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.idHash, sessionHash))
    .limit(1));
  if (!row || row.expiresAt <= now) return null;
  return { actor: { id: row.id, name: row.name, role: row.role, pbxId: row.pbxId, extension: row.extension }, expiresAt: row.expiresAt, sessionHash };
}

/** The value of one cookie in a Cookie header (RFC 6265 §5.4: `name=value; name2=value2`). */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      try {
        return decodeURIComponent(v);
      } catch {
        return v;
      }
    }
  }
  return null;
}

/** Set-Cookie for the session (HttpOnly, SameSite=Lax, Path=/; Secure when asked). maxAge 0 clears it. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}
