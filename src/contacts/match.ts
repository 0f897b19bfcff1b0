// Caller-ID matching: an E.164 number -> the one contact (and client) it belongs to.
//
// The shared-number rule (an office switchboard on several contacts), in order:
//   1. a contact whose client has an owner manager beats one whose client has none (routing needs one);
//   2. then the contact with the most recent answered call (calls.contact_id): who people talk to;
//   3. then the most recently updated contact; then the oldest (smallest id: ids are time-ordered
//      UUIDv7), so the answer is always the same.
// Calls keep the contact they were matched to; when contacts change, recent calls are re-matched
// (rematchCalls) with the same rule, so the call log and a lookup never disagree.
//
// matchNumber is on the call-start path: one prepared statement, index-only probes
// (contact_phones.e164, primary keys, calls(contact_id, disposition, started_at)).
import { and, asc, desc, eq, gte, isNotNull, or, isNull, ne, sql } from 'drizzle-orm';
import type Sqlite from 'better-sqlite3';
import type { Db } from '../db/client.js';
import { calls, clients, contactPhones, contacts } from '../db/schema/index.js';

export interface NumberMatch {
  contactId: string;
  clientId: string;
  ownerId: string | null;
  /** Monthly turnover in minor units of `currency` (null when unknown). */
  turnoverMinor: number | null;
  currency: string | null;
}

const ph = sql.placeholder;

function prepare(db: Db) {
  const lastAnswered = sql<number | null>`(select max(${calls.startedAt}) from ${calls} where ${calls.contactId} = ${contacts.id} and ${calls.disposition} = 'answered')`;
  const match = (ownerOnly: boolean) => db
    .select({
      contactId: contacts.id, clientId: clients.id, ownerId: clients.ownerId,
      turnoverMinor: clients.turnoverMinor, currency: clients.currency,
    })
    .from(contactPhones)
    .innerJoin(contacts, eq(contacts.id, contactPhones.contactId))
    .innerJoin(clients, eq(clients.id, contacts.clientId))
    .where(ownerOnly ? and(eq(contactPhones.e164, ph('e164')), eq(clients.ownerId, ph('ownerId'))) : eq(contactPhones.e164, ph('e164')))
    .orderBy(
      sql`case when ${clients.ownerId} is null then 1 else 0 end`,
      sql`coalesce(${lastAnswered}, -1) desc`,
      desc(contacts.updatedAt),
      asc(contacts.id),
    )
    // No LIMIT: SQLite sorts a bound `LIMIT ?` far slower (36 µs against 13 µs per lookup) than it
    // returns the candidates of one number, which are one row but for switchboards.
    .prepare();
  const inWindow = and(eq(calls.externalNumber, ph('e164')), gte(calls.startedAt, ph('since')));
  return {
    match: match(false),
    matchOwned: match(true),
    anyCall: db.select({ id: calls.id }).from(calls).where(inWindow).limit(1).prepare(),
    // One statement for any number of numbers (a CSV import batch has thousands), each an index probe
    // of calls(external_number, started_at); raw better-sqlite3, as the import's bulk path.
    numbersWithCalls: (db as unknown as { $client: Sqlite.Database }).$client
      .prepare('SELECT j.value FROM json_each(?) j WHERE EXISTS (SELECT 1 FROM calls c WHERE c.external_number = j.value AND c.started_at >= ?)').pluck(),
    setMatch: db.update(calls)
      .set({ contactId: ph('contactId') as never, clientId: ph('clientId') as never })
      .where(and(inWindow, or(isNull(calls.contactId), ne(calls.contactId, ph('contactId')), isNull(calls.clientId), ne(calls.clientId, ph('clientId')))))
      .prepare(),
    clearMatch: db.update(calls)
      .set({ contactId: null, clientId: null })
      .where(and(inWindow, or(isNotNull(calls.contactId), isNotNull(calls.clientId))))
      .prepare(),
  };
}

const statements = new WeakMap<Db, ReturnType<typeof prepare>>();
function st(db: Db): ReturnType<typeof prepare> {
  let s = statements.get(db);
  if (!s) statements.set(db, (s = prepare(db)));
  return s;
}

/** The contact an E.164 number belongs to, by the shared-number rule above; null when none. */
export function matchNumber(db: Db, e164: string): NumberMatch | null {
  return st(db).match.all({ e164 })[0] ?? null;
}

/** The same, among the clients `ownerId` owns (what a manager's lookup may see). */
export function matchOwnedNumber(db: Db, e164: string, ownerId: string): NumberMatch | null {
  return st(db).matchOwned.all({ e164, ownerId })[0] ?? null;
}

/**
 * Re-match calls started at or after `since` whose external number is one of `e164s` (a contact was
 * created, changed numbers or client, or was deleted): each gets the number's contact and client now,
 * or none. Returns how many calls changed. Call inside the transaction that changed the contacts.
 */
export function rematchCalls(db: Db, e164s: Iterable<string>, since: number): number {
  const s = st(db);
  const all = [...new Set(e164s)];
  let changed = 0;
  // Most numbers have no recent call: find the ones that do with one indexed query (a CSV import
  // re-matches every number it writes).
  const withCalls = new Set<string>();
  if (all.length === 1) {
    if (s.anyCall.get({ e164: all[0]!, since })) withCalls.add(all[0]!);
  } else if (all.length > 1) {
    for (const n of s.numbersWithCalls.all(JSON.stringify(all), since) as string[]) withCalls.add(n);
  }
  for (const e164 of withCalls) {
    const m = matchNumber(db, e164);
    const r = m
      ? s.setMatch.run({ e164, since, contactId: m.contactId, clientId: m.clientId })
      : s.clearMatch.run({ e164, since });
    changed += r.changes;
  }
  return changed;
}
