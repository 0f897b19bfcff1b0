// Who is on an extension, and which extension a user has: the one answer to both, for the pop, the call
// log, access to calls, tasks, routing, reports and the live board (issue 10, item 11).
//
// The rule. An extension of a PBX belongs to at most one user, of any role (the unique index
// users_pbx_extension_uq, migrations 0008 and 0015: extension 101 may exist on two PBXs, src/pbx/pbxes.ts);
// the user on it now is `whoIsOn(pbx, ext)`. A call belongs to the user who was on its
// extension when it was written (calls.manager_id, call_legs.manager_id, set by `managerIdFor` in SQL
// as the call log stores it, and kept when the same call is written again): handing a phone to someone
// else hands over its future calls, never its past ones. Extensions are compared exactly: they are
// validated as 2 to 6 digits before they are stored (`checkExtension`), so there is nothing to trim.
//
// No cache, on purpose: a lookup is one probe of the unique index (a prepared statement, named on
// PostgreSQL: microseconds), and users change from another process too (`cti user add` beside a running
// service), which no in-memory cache here would hear of.
import { and, eq, isNotNull, ne, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client.js';
import { prepareNamed } from '../db/contacts.js';
import { first } from '../db/query.js';
import { users, type Role } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import { toE164 } from '../lib/phone.js';

/** The person on a phone. */
export interface PhoneOwner {
  id: string;
  name: string;
  role: Role;
  pbxId: string;
  extension: string;
}

const owner = { id: users.id, name: users.name, role: users.role, pbxId: users.pbxId, extension: users.extension };
const ph = sql.placeholder;

// On the pop's path (every ringing phone, every call:answered and call:ended): built and planned once per
// database handle, not per call (drizzle's query building and SQLite's prepare cost far more than the probe).
function prepare(db: Db) {
  return {
    onExt: prepareNamed(db.select(owner).from(users).where(and(eq(users.pbxId, ph('pbx')), eq(users.extension, ph('ext')))).limit(1), 'who_is_on'),
    ofUser: prepareNamed(db.select({ pbxId: users.pbxId, extension: users.extension }).from(users).where(eq(users.id, ph('id'))).limit(1), 'phone_of'),
    onMobile: prepareNamed(db.select({ ...owner, mobile: users.mobile }).from(users).where(eq(users.mobile, ph('mobile'))).limit(1), 'whose_mobile'),
  };
}
// Per database handle; a PostgreSQL transaction is a handle of its own (its statements run on its connection).
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();
function st(db: Db): ReturnType<typeof prepare> {
  let s = statements.get(db);
  if (!s) statements.set(db, (s = prepare(db)));
  return s;
}

/**
 * The id of the user on the extension in `ext` (a column or a bound value) of PBX `pbx`, as an SQL scalar
 * subquery: the same rule as `whoIsOn`, for statements that resolve it inside SQL (the call log's writes).
 */
export function managerIdFor(pbx: string | Placeholder, ext: SQLiteColumn | SQL | Placeholder): SQL<string | null> {
  return sql<string | null>`(select ${users.id} from ${users} where ${users.pbxId} = ${pbx} and ${users.extension} = ${ext})`;
}

/** The user on this extension of this PBX now, or null for a phone nobody has. */
export async function whoIsOn(db: Db, pbx: string, ext: string | null | undefined): Promise<PhoneOwner | null> {
  if (!ext) return null;
  return ((await first(st(db).onExt.execute({ pbx, ext }))) as PhoneOwner | undefined) ?? null;
}

/** This user's phone now (their PBX and extension), or null (no phone, or no such user). */
export async function phoneOf(db: Db, userId: string | null | undefined): Promise<{ pbxId: string; extension: string } | null> {
  if (!userId) return null;
  const r = await first(st(db).ofUser.execute({ id: userId }));
  return r?.extension ? { pbxId: r.pbxId, extension: r.extension } : null;
}

/** Every user with a phone (on one PBX, or all), one per extension of a PBX (the index makes it so), by PBX and extension. */
export async function phoneOwners(db: Db, pbx?: string): Promise<PhoneOwner[]> {
  return (await db.select(owner).from(users).where(and(isNotNull(users.extension), pbx === undefined ? undefined : eq(users.pbxId, pbx)))
    .orderBy(users.pbxId, users.extension)) as PhoneOwner[];
}

/**
 * Checks an extension of PBX `pbx` a user is about to get: its form, and that nobody else on that PBX has
 * it (409 naming who). `userId`: the user who gets it (keeping one's own extension is no conflict).
 */
export async function checkExtension(db: Db, pbx: string, ext: string | null, userId: string | null): Promise<void> {
  if (ext === null) return;
  if (!/^[0-9]{2,6}$/.test(ext)) throw new CtiError('CTI_ERR_BAD_REQUEST', 'extension: 2 to 6 digits');
  const other = await first(db.select({ name: users.name }).from(users)
    .where(and(eq(users.pbxId, pbx), eq(users.extension, ext), userId ? ne(users.id, userId) : undefined)).limit(1));
  if (other) {
    throw new CtiError('CTI_ERR_EXTENSION_TAKEN', `Extension ${ext} belongs to ${other.name}: one extension, one person. Give ${other.name} another extension (or none) first.`,
      { extension: ext, user: other.name });
  }
}

/**
 * Is this the unique-index error of `index` on users.`column` (two writers raced past the check)? SQLite
 * names the column ("UNIQUE constraint failed: users.extension"); PostgreSQL names the index (SQLSTATE
 * 23505, `constraint`). drizzle wraps the driver's error (DrizzleQueryError), so its cause is read too.
 */
function isUniqueViolation(err: unknown, column: string, index: string): boolean {
  for (let e = err as { code?: unknown; message?: unknown; constraint?: unknown; cause?: unknown } | null, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof e.message === 'string' && e.message.includes(`users.${column}`)) return true;
    if (e.code === '23505' && e.constraint === index) return true;
  }
  return false;
}

/** Is this the error of users_pbx_extension_uq (two writers raced past checkExtension)? */
export function isExtensionConflict(err: unknown): boolean {
  return isUniqueViolation(err, 'extension', 'users_pbx_extension_uq');
}

// ---- mobiles: who answered a call that the PBX forwarded or followed-me to an outside number

/** The person whose mobile a number is (their extension may be null: a mobile-only user). */
export interface MobileOwner {
  id: string;
  name: string;
  role: Role;
  pbxId: string;
  extension: string | null;
  mobile: string;
}

/**
 * The user whose mobile `number` is, or null. `number` is any form the PBX dials or reports (the digits
 * of a dial string "89160000103", "+79160000103", "8 (916) 000-01-03"), read in `region` (ISO 3166
 * alpha-2) like every other number (src/lib/phone.ts); mobiles are stored in E.164, so one probe of
 * users_mobile_uq answers. A number that does not parse matches nobody.
 */
export async function whoseMobile(db: Db, number: string | null | undefined, region: string): Promise<MobileOwner | null> {
  const e164 = toE164(number, region);
  if (!e164) return null;
  return ((await first(st(db).onMobile.execute({ mobile: e164 }))) as MobileOwner | undefined) ?? null;
}

/**
 * A mobile a user is about to get, as stored: E.164, or null for none (null, "" or blanks). A number that
 * is not one is 400; one that another user has is 409 naming who. `userId`: the user who gets it.
 */
export async function checkMobile(db: Db, raw: string | null | undefined, region: string, userId: string | null): Promise<string | null> {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  const e164 = toE164(raw, region);
  if (!e164) throw new CtiError('CTI_ERR_BAD_REQUEST', 'mobile: not a phone number (e.g. +79161234567 or 8 916 123-45-67)');
  const other = await first(db.select({ name: users.name }).from(users)
    .where(and(eq(users.mobile, e164), userId ? ne(users.id, userId) : undefined)).limit(1));
  if (other) {
    throw new CtiError('CTI_ERR_MOBILE_TAKEN', `Mobile ${e164} belongs to ${other.name}: one mobile, one person.`, { mobile: e164, user: other.name });
  }
  return e164;
}

/** Is this the error of users_mobile_uq (two writers raced past checkMobile)? */
export function isMobileConflict(err: unknown): boolean {
  return isUniqueViolation(err, 'mobile', 'users_mobile_uq');
}
