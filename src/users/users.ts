// Users. Passwords are argon2id hashes; API tokens are in tokens.ts (re-exported here), and what a
// change to a user ends (sessions, tokens, sockets) in access.ts.
import { randomUUID } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first, transaction } from '../db/query.js';
import type { Language } from '../contract/enums.js';
import { users, ROLES, type PhoneMode, type Role, type UserRow } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import { REVOKING, revokeAccess, type AccessChange, type UserAccess } from './access.js';

export { actorForToken, createToken } from './tokens.js';
import { requireText, userNameKey } from '../lib/text.js';
import { MAIN_PBX, PBX_ID } from '../pbx/pbx-id.js';
import { checkExtension, checkMobile, isExtensionConflict, isMobileConflict } from './directory.js';

/** Who is acting: passed into every domain function, which checks access on its first line. */
export interface Actor {
  id: string;
  name: string;
  role: Role;
  /** The PBX their extension is on (src/pbx/pbxes.ts). */
  pbxId: string;
  extension: string | null;
}

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/** Where national forms of a user's mobile ("8 916 ...") are read when the caller names no region. */
const DEFAULT_REGION = 'RU';

export async function addUser(db: Db, input: { name: string; role: Role; pbxId?: string; extension?: string | null; mobile?: string | null; password?: string | null; language?: 'ru' | 'en'; phoneMode?: PhoneMode }, region = DEFAULT_REGION): Promise<UserRow> {
  const name = requireText('name', input.name); // NFC: "й" typed on any keyboard is one name (src/lib/text.ts)
  if (!/^[\p{L}\p{M}\p{N}._@-]{1,64}$/u.test(name)) throw new CtiError('CTI_ERR_BAD_REQUEST', 'name: 1 to 64 letters, digits, dots, dashes, underscores or @');
  const pbxId = input.pbxId ?? MAIN_PBX;
  if (!PBX_ID.test(pbxId)) throw new CtiError('CTI_ERR_BAD_REQUEST', 'pbx: a PBX id such as main (lower-case letters, digits, - and _)');
  await checkExtension(db, pbxId, input.extension ?? null, null);
  const mobile = await checkMobile(db, input.mobile, region, null);
  if (input.role === 'manager' && !input.extension) throw new CtiError('CTI_ERR_BAD_REQUEST', 'extension: a manager needs one');
  if (input.phoneMode === 'browser' && !input.extension) throw new CtiError('CTI_ERR_BAD_REQUEST', 'phoneMode: a browser phone needs an extension');
  if (await first(db.select({ id: users.id }).from(users).where(eq(users.name, name)).limit(1))) throw new CtiError('CTI_ERR_USER_EXISTS', `user '${name}' exists already`);
  const row = {
    id: randomUUID(),
    name,
    role: input.role,
    pbxId,
    extension: input.extension ?? null,
    mobile,
    passwordHash: input.password ? await hash(input.password) : null,
    language: input.language ?? 'ru',
    phoneMode: input.phoneMode ?? 'desk',
    sipRotation: 0,
    createdAt: Date.now(),
  };
  await writeUser(db, pbxId, row.extension, row.mobile, region, async () => { await db.insert(users).values(row); });
  return row;
}

/**
 * A write that gives a user an extension or a mobile: another writer may have taken it since the check.
 * The 409 naming who is asked for after the write (and its transaction) failed: on PostgreSQL a
 * transaction that hit an error answers no more queries.
 */
async function writeUser(db: Db, pbxId: string, extension: string | null, mobile: string | null, region: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (isExtensionConflict(err) && extension !== null) await checkExtension(db, pbxId, extension, null);
    if (isMobileConflict(err) && mobile !== null) await checkMobile(db, mobile, region, null);
    throw err;
  }
}

export async function findUser(db: Db, name: string): Promise<UserRow | undefined> {
  return first(db.select().from(users).where(eq(users.name, userNameKey(name))).limit(1));
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.select().from(users);
}

// ---- the browser's view of users and the admin API (issue 4)

export { LANGUAGES, type Language } from '../contract/enums.js';

/** A user as the browser sees it (docs/design/browser-contract.md `User`). */
export interface UserView {
  id: string;
  name: string;
  role: Role;
  /** The PBX their extension is on. */
  pbx: string;
  extension: string | null;
  /** Their mobile in E.164, or null: calls forwarded there and answered there are theirs. */
  mobile: string | null;
  language: Language;
  /** Where their calls ring: a desk phone, or the browser phone in the page (src/softphone). */
  phoneMode: PhoneMode;
}

export function userView(row: Pick<UserRow, 'id' | 'name' | 'role' | 'pbxId' | 'extension' | 'mobile' | 'language' | 'phoneMode'>): UserView {
  return {
    id: row.id, name: row.name, role: row.role, pbx: row.pbxId, extension: row.extension, mobile: row.mobile ?? null, language: row.language === 'en' ? 'en' : 'ru',
    phoneMode: row.phoneMode === 'browser' ? 'browser' : 'desk',
  };
}

export interface UsersContext {
  db: Db;
  actor: Actor;
  /** Told when a change must end sessions, tokens or sockets (the realtime hub follows it). */
  access?: UserAccess;
  /** Where national forms of numbers (a mobile "8 916 ...") are read (CTI_DEFAULT_REGION); default RU. */
  region?: string;
  /** The deployment's PBXs (src/pbx/pbxes.ts): a user's `pbx` must be one; default main alone. */
  pbxIds?: readonly string[];
}

/** A PBX a user is put on: one of the deployment's (400 naming them otherwise). */
function checkPbx(ctx: UsersContext, pbx: string): string {
  const known = ctx.pbxIds ?? [MAIN_PBX];
  if (!known.includes(pbx)) throw new CtiError('CTI_ERR_BAD_REQUEST', `pbx: no PBX '${pbx.slice(0, 40)}' here (${known.join(', ')})`);
  return pbx;
}

function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new CtiError('CTI_ERR_FORBIDDEN', 'Only admins manage users');
}

async function userRow(db: Db, id: string): Promise<UserRow> {
  const row = await first(db.select().from(users).where(eq(users.id, id)).limit(1));
  if (!row) throw new CtiError('CTI_ERR_USER_NOT_FOUND');
  return row;
}

export async function getUserView(db: Db, id: string): Promise<UserView> {
  return userView(await userRow(db, id));
}

export async function adminListUsers(ctx: UsersContext): Promise<UserView[]> {
  assertAdmin(ctx.actor);
  return (await listUsers(ctx.db)).sort((a, b) => a.name.localeCompare(b.name)).map(userView);
}

/** Someone calls can be credited to and clients owned by: a manager, or any user with a phone. */
export interface ManagerView {
  id: string;
  name: string;
  role: Role;
  pbx: string;
  extension: string | null;
}

/**
 * The managers (and anyone else with an extension) by name, for supervisors and admins: the calls list's
 * manager filter and a client's owner. A manager owns only their own clients and sees only their own
 * calls, so the list is not theirs to read (403).
 */
export async function listManagers(ctx: UsersContext): Promise<ManagerView[]> {
  if (ctx.actor.role === 'manager') throw new CtiError('CTI_ERR_FORBIDDEN', 'Only supervisors and admins list the managers');
  return (await listUsers(ctx.db))
    .filter((u) => u.role === 'manager' || u.extension !== null)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((u) => ({ id: u.id, name: u.name, role: u.role, pbx: u.pbxId, extension: u.extension }));
}

export async function adminAddUser(ctx: UsersContext, input: { name: string; role: Role; pbx?: string; extension?: string | null; mobile?: string | null; language?: Language; password: string; phoneMode?: PhoneMode }): Promise<UserView> {
  assertAdmin(ctx.actor);
  if (!input.password) throw new CtiError('CTI_ERR_BAD_REQUEST', 'password: required');
  const { pbx, ...rest } = input;
  return userView(await addUser(ctx.db, { ...rest, pbxId: checkPbx(ctx, pbx ?? MAIN_PBX) }, ctx.region));
}

export async function adminUpdateUser(ctx: UsersContext, id: string, input: { role?: Role; pbx?: string; extension?: string | null; mobile?: string | null; language?: Language; password?: string; phoneMode?: PhoneMode }): Promise<UserView> {
  assertAdmin(ctx.actor);
  const row = await userRow(ctx.db, id);
  const role = input.role ?? row.role;
  // Checked when it changes: a user left on a PBX since removed from the configuration can still be edited.
  const pbxId = input.pbx === undefined || input.pbx === row.pbxId ? row.pbxId : checkPbx(ctx, input.pbx);
  const extension = input.extension === undefined ? row.extension : input.extension;
  const phoneMode = input.phoneMode ?? row.phoneMode;
  await checkExtension(ctx.db, pbxId, extension ?? null, id);
  const region = ctx.region ?? DEFAULT_REGION;
  const mobile = input.mobile === undefined ? row.mobile : await checkMobile(ctx.db, input.mobile, region, id);
  if (role === 'manager' && !extension) throw new CtiError('CTI_ERR_BAD_REQUEST', 'extension: a manager needs one');
  if (phoneMode === 'browser' && !extension) throw new CtiError('CTI_ERR_BAD_REQUEST', 'phoneMode: a browser phone needs an extension');
  if (row.id === ctx.actor.id && role !== 'admin') throw new CtiError('CTI_ERR_BAD_REQUEST', 'role: you cannot take your own admin role away');
  // Another PBX is another phone, as another extension is.
  const phoneMoved = (extension ?? null) !== row.extension || pbxId !== row.pbxId;
  const set: Partial<UserRow> = { role, pbxId, extension: extension ?? null, mobile, phoneMode };
  if (input.language) set.language = input.language;
  if (input.password) set.passwordHash = await hash(input.password);
  // A new login password or another extension also changes the browser phone's SIP password
  // (src/softphone/credentials.ts), so whoever knew the old one is locked out of the PBX too.
  if (input.password || phoneMoved) set.sipRotation = row.sipRotation + 1;
  const changes: AccessChange[] = [];
  if (input.password) changes.push('password');
  if (role !== row.role) changes.push('role');
  if (phoneMoved) changes.push('extension');
  // A new password or role ends every session and API token of the user in the same transaction:
  // whoever held the old password, or the old rights, is out at once (README, "Revocation").
  // The sockets follow once it is committed (userChanged), before this request answers.
  await writeUser(ctx.db, pbxId, set.extension ?? null, mobile, region, () => transaction(ctx.db, async (tx) => {
    await tx.update(users).set(set).where(eq(users.id, id));
    if (changes.some((c) => REVOKING.includes(c))) await revokeAccess(tx, id);
  }));
  ctx.access?.userChanged(id, changes);
  return getUserView(ctx.db, id);
}

export async function adminDeleteUser(ctx: UsersContext, id: string): Promise<void> {
  assertAdmin(ctx.actor);
  await userRow(ctx.db, id);
  if (id === ctx.actor.id) throw new CtiError('CTI_ERR_BAD_REQUEST', 'id: you cannot delete yourself');
  // Sessions and tokens go with the user (ON DELETE CASCADE); revokeAccess says so where it is read.
  await transaction(ctx.db, async (tx) => {
    await revokeAccess(tx, id);
    await tx.delete(users).where(eq(users.id, id));
  });
  ctx.access?.userChanged(id, ['deleted']);
}

/** Anyone may choose their own language. */
export async function setOwnLanguage(ctx: UsersContext, language: Language): Promise<UserView> {
  await ctx.db.update(users).set({ language }).where(eq(users.id, ctx.actor.id));
  return getUserView(ctx.db, ctx.actor.id);
}
