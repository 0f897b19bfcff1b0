// Users and API tokens. Passwords are argon2id hashes; tokens are shown once and stored as SHA-256.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiTokens, users, ROLES, type Role, type UserRow } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';

/** Who is acting: passed into every domain function, which checks access on its first line. */
export interface Actor {
  id: string;
  name: string;
  role: Role;
  extension: string | null;
}

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

export async function addUser(db: Db, input: { name: string; role: Role; extension?: string | null; password?: string | null; language?: 'ru' | 'en' }): Promise<UserRow> {
  const name = input.name.trim();
  if (!/^[\p{L}\p{N}._@-]{1,64}$/u.test(name)) throw new CtiError('CTI_ERR_BAD_REQUEST', 'name: 1 to 64 letters, digits, dots, dashes, underscores or @');
  if (input.extension != null && !/^[0-9]{2,6}$/.test(input.extension)) throw new CtiError('CTI_ERR_BAD_REQUEST', 'extension: 2 to 6 digits');
  if (input.role === 'manager' && !input.extension) throw new CtiError('CTI_ERR_BAD_REQUEST', 'extension: a manager needs one');
  if (db.select().from(users).where(eq(users.name, name)).get()) throw new CtiError('CTI_ERR_USER_EXISTS', `user '${name}' exists already`);
  const row = {
    id: randomUUID(),
    name,
    role: input.role,
    extension: input.extension ?? null,
    passwordHash: input.password ? await hash(input.password) : null,
    language: input.language ?? 'ru',
    createdAt: Date.now(),
  };
  db.insert(users).values(row).run();
  return row;
}

export function findUser(db: Db, name: string): UserRow | undefined {
  return db.select().from(users).where(eq(users.name, name)).get();
}

export function listUsers(db: Db): UserRow[] {
  return db.select().from(users).all();
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new API token for `name`; the only time the clear token exists. */
export function createToken(db: Db, name: string): string {
  const user = findUser(db, name);
  if (!user) throw new CtiError('CTI_ERR_USER_NOT_FOUND', `no user '${name}'`);
  const token = `cti_${randomBytes(32).toString('base64url')}`;
  db.insert(apiTokens).values({ id: randomUUID(), userId: user.id, tokenHash: tokenHash(token), createdAt: Date.now() }).run();
  return token;
}

export function actorForToken(db: Db, token: string): Actor | null {
  const row = db
    .select({ id: users.id, name: users.name, role: users.role, extension: users.extension, tokenId: apiTokens.id })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash(token)))
    .get();
  if (!row) return null;
  db.update(apiTokens).set({ lastUsedAt: Date.now() }).where(eq(apiTokens.id, row.tokenId)).run();
  return { id: row.id, name: row.name, role: row.role, extension: row.extension };
}
