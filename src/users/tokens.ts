// API tokens: for scripts and the CRM (Authorization: Bearer). Shown once at creation; only their SHA-256
// is stored, so neither a list nor a database copy reveals one. A token may expire (expiresAt) and is
// revoked by deleting it: either way the next request gets 401. Admins manage them (API and `cti token`).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first, rowsAffected } from '../db/query.js';
import { apiTokens, users, type ApiTokenRow } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import type { Actor } from './users.js';

/** A token as lists show it: never the secret nor its hash. */
export interface TokenView {
  id: string;
  userId: string;
  userName: string;
  label: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface TokensContext {
  db: Db;
  actor: Actor;
  clock?: () => number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new CtiError('CTI_ERR_FORBIDDEN', 'Only admins manage API tokens');
}

const DURATION = /^([0-9]{1,5})([dh])$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * When a token given `--expires 30d` / `expiresAt` expires: a number of days (`30d`) or hours (`12h`)
 * from now, or an ISO 8601 date (midnight UTC at its start) or date-time with a zone. Must be later
 * than now. `field` names the option in the message.
 */
export function parseExpiry(s: string, now: number, field = 'expiresAt'): number {
  const d = DURATION.exec(s.trim());
  let at: number;
  if (d) {
    const n = Number(d[1]);
    if (n <= 0) throw new CtiError('CTI_ERR_BAD_REQUEST', `${field}: a duration must be more than 0`);
    at = now + n * (d[2] === 'd' ? 86_400_000 : 3_600_000);
  } else if (ISO_DATE.test(s.trim()) && Number.isFinite(Date.parse(s.trim()))) {
    at = Date.parse(s.trim());
  } else {
    throw new CtiError('CTI_ERR_BAD_REQUEST', `${field}: '${s}' is neither a duration (30d, 12h) nor an ISO 8601 date or date-time`);
  }
  if (at <= now) throw new CtiError('CTI_ERR_BAD_REQUEST', `${field}: ${new Date(at).toISOString()} is in the past`);
  return at;
}

/** A new token for the user; the only time the clear token exists. */
export async function issueToken(db: Db, userId: string, opts: { label?: string | null; expiresAt?: number | null; now?: number } = {}): Promise<{ token: string; row: ApiTokenRow }> {
  const token = `cti_${randomBytes(32).toString('base64url')}`;
  const row: ApiTokenRow = {
    id: randomUUID(), userId, tokenHash: tokenHash(token), label: opts.label ?? null, createdAt: opts.now ?? Date.now(),
    lastUsedAt: null, expiresAt: opts.expiresAt ?? null,
  };
  await db.insert(apiTokens).values(row);
  return { token, row };
}

/** A new API token for the user called `name` (the CLI, tests); printed once. */
export async function createToken(db: Db, name: string, opts: { label?: string | null; expiresAt?: number | null } = {}): Promise<string> {
  const user = await first(db.select({ id: users.id }).from(users).where(eq(users.name, name)).limit(1));
  if (!user) throw new CtiError('CTI_ERR_USER_NOT_FOUND', `no user '${name}'`);
  return (await issueToken(db, user.id, opts)).token;
}

/** The user of a token that exists and has not expired, or null (401). Notes when it was last used. */
export async function actorForToken(db: Db, token: string, now = Date.now()): Promise<Actor | null> {
  const row = await first(db
    .select({ id: users.id, name: users.name, role: users.role, pbxId: users.pbxId, extension: users.extension, tokenId: apiTokens.id, expiresAt: apiTokens.expiresAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash(token)))
    .limit(1));
  if (!row || (row.expiresAt !== null && row.expiresAt <= now)) return null;
  await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId));
  return { id: row.id, name: row.name, role: row.role, pbxId: row.pbxId, extension: row.extension };
}

/** Tokens, oldest first, of one user (by id or name) or all. No access check: the CLI and admin functions. */
export async function listTokens(db: Db, filter: { userId?: string; userName?: string } = {}): Promise<TokenView[]> {
  const where: SQL[] = [];
  if (filter.userId) where.push(eq(apiTokens.userId, filter.userId));
  if (filter.userName) where.push(eq(users.name, filter.userName));
  const rows = await db
    .select({ row: apiTokens, userName: users.name })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
  return rows.map(({ row, userName }) => ({
      id: row.id, userId: row.userId, userName, label: row.label, createdAt: new Date(row.createdAt).toISOString(),
      expiresAt: iso(row.expiresAt), lastUsedAt: iso(row.lastUsedAt),
    }));
}

/** Deletes one token: its next request gets 401. 404 when there is no such token. */
export async function revokeToken(db: Db, id: string): Promise<void> {
  const r = await db.delete(apiTokens).where(eq(apiTokens.id, id));
  if (!rowsAffected(r)) throw new CtiError('CTI_ERR_TOKEN_NOT_FOUND', `no API token '${id}'`);
}

/** Every token of the user (a password reset, a role change: src/users/access.ts). */
export async function revokeUserTokens(db: Db, userId: string): Promise<number> {
  return rowsAffected(await db.delete(apiTokens).where(eq(apiTokens.userId, userId)));
}

// ---- the admin API (src/users/token-routes.ts)

export async function adminListTokens(ctx: TokensContext, filter: { userId?: string; userName?: string }): Promise<TokenView[]> {
  assertAdmin(ctx.actor);
  return listTokens(ctx.db, filter);
}

export async function adminCreateToken(ctx: TokensContext, input: { userId?: string; userName?: string; label?: string | null; expiresAt?: string | null }): Promise<TokenView & { token: string }> {
  assertAdmin(ctx.actor);
  const now = (ctx.clock ?? Date.now)();
  if (!input.userId && !input.userName) throw new CtiError('CTI_ERR_BAD_REQUEST', 'userName: or userId, is required');
  const user = await first(ctx.db.select({ id: users.id, name: users.name }).from(users)
    .where(input.userId ? eq(users.id, input.userId) : eq(users.name, input.userName!)).limit(1));
  if (!user) throw new CtiError('CTI_ERR_USER_NOT_FOUND');
  const expiresAt = input.expiresAt ? parseExpiry(input.expiresAt, now) : null;
  const label = input.label?.trim() || null;
  const { token, row } = await issueToken(ctx.db, user.id, { label, expiresAt, now });
  return {
    id: row.id, userId: user.id, userName: user.name, label, createdAt: new Date(row.createdAt).toISOString(),
    expiresAt: iso(expiresAt), lastUsedAt: null, token,
  };
}

export async function adminRevokeToken(ctx: TokensContext, id: string): Promise<void> {
  assertAdmin(ctx.actor);
  await revokeToken(ctx.db, id);
}
