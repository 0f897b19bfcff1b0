// The caller's card (ScreenPop) for the manager whose phone starts ringing. On the hot path of a
// ringing phone: every query is a prepared statement (named on PostgreSQL) on an index (contact_phones.e164 through match.ts,
// primary keys, calls(contact_id|external_number, started_at), tasks(contact_id|number)), a handful of
// microseconds each. The card follows the access rules of its recipient: a manager's card shows their
// own calls and their own tasks, and the caller's contact and client even when another manager owns
// them, since the call is ringing on their phone (the call grant, src/contacts/context.ts; their own
// client of that number first, as their lookup has it).
import { and, desc, eq, ne, or, sql } from 'drizzle-orm';
import type { CallSnapshot, LegView } from '../calls/snapshot.js';
import { matchNumber, matchOwnedNumber } from '../contacts/match.js';
import type { Db } from '../db/client.js';
import { prepareNamed } from '../db/contacts.js';
import { first } from '../db/query.js';
import { callLegs, calls, clients, contacts, users } from '../db/schema/index.js';
import { formatAmount } from '../lib/money.js';
import { openTasksFor, taskViews } from '../tasks/tasks.js';
import type { Actor } from '../users/users.js';
import type { CallSummary, ScreenPop } from '../contract/index.js';

const ph = sql.placeholder;

/**
 * The caller's last calls but this one (the five newest); for a manager (`own`) only their own. By the
 * contact, the number or either: no contact and no number has no earlier calls to find (a text parameter
 * may not carry a NUL on PostgreSQL, so an absent one is left out of the statement, not bound).
 */
function lastCallsQuery(db: Db, byContact: boolean, byNumber: boolean, own: boolean) {
  const caller = [byContact ? eq(calls.contactId, ph('contactId')) : null, byNumber ? eq(calls.externalNumber, ph('number')) : null]
    .filter((c) => c !== null);
  return prepareNamed(db
    .select({ id: calls.id, startedAt: calls.startedAt, direction: calls.direction, disposition: calls.disposition, talkMs: calls.talkMs, extension: calls.extension })
    .from(calls)
    .where(and(
      or(...caller),
      ne(calls.id, ph('callId')),
      // A manager's own calls, as the call log's access rule has them (src/calls/queries.ts): the user
      // recorded on the call or a leg, not whoever has the extension now.
      own ? or(
        eq(calls.managerId, ph('userId')),
        sql`exists (select 1 from ${callLegs} where ${callLegs.callId} = ${calls.id} and ${callLegs.managerId} = ${ph('userId')})`,
      ) : undefined,
    ))
    .orderBy(desc(calls.startedAt))
    .limit(5), `pop_last_calls_${byContact ? 'c' : ''}${byNumber ? 'n' : ''}${own ? '_own' : ''}`);
}
type LastCalls = ReturnType<typeof lastCallsQuery>;

// Every ringing phone runs these: built and planned once per database handle (drizzle's query building
// and SQLite's prepare cost far more than the indexed probes themselves).
function prepare(db: Db) {
  const last = new Map<string, LastCalls>();
  return {
    contact: prepareNamed(db.select({ id: contacts.id, name: contacts.name, email: contacts.email }).from(contacts).where(eq(contacts.id, ph('id'))).limit(1), 'pop_contact'),
    client: prepareNamed(db.select().from(clients).where(eq(clients.id, ph('id'))).limit(1), 'pop_client'),
    user: prepareNamed(db.select({ id: users.id, name: users.name, extension: users.extension, pbx: users.pbxId }).from(users).where(eq(users.id, ph('id'))).limit(1), 'pop_user'),
    lastCalls(byContact: boolean, byNumber: boolean, own: boolean): LastCalls {
      const k = `${byContact}${byNumber}${own}`;
      let q = last.get(k);
      if (!q) last.set(k, (q = lastCallsQuery(db, byContact, byNumber, own)));
      return q;
    },
  };
}
// Per database handle; a PostgreSQL transaction is a handle of its own (its statements run on its connection).
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();
function st(db: Db): ReturnType<typeof prepare> {
  let s = statements.get(db);
  if (!s) statements.set(db, (s = prepare(db)));
  return s;
}

/** The caller's last calls but this one (the five newest); for a manager only their own. */
async function lastCallsOf(db: Db, a: { contactId: string | null; number: string | null; callId: string; userId: string | null }) {
  if (a.contactId === null && a.number === null) return [];
  const q = st(db).lastCalls(a.contactId !== null, a.number !== null, a.userId !== null);
  return q.execute({
    callId: a.callId, ...(a.contactId !== null ? { contactId: a.contactId } : {}), ...(a.number !== null ? { number: a.number } : {}),
    ...(a.userId !== null ? { userId: a.userId } : {}),
  });
}

export async function buildScreenPop(db: Db, call: CallSnapshot, leg: LegView, recipient: Actor, now = Date.now()): Promise<ScreenPop> {
  const record = call.record;
  const number = record.externalNumber;
  const manager = recipient.role === 'manager';
  let m: { contactId: string; clientId: string } | null = null;
  if (record.direction !== 'internal' && number?.startsWith('+')) {
    const known = record.contactId && record.clientId ? { contactId: record.contactId, clientId: record.clientId } : null;
    const any = async () => known ?? (await matchNumber(db, number));
    m = manager ? (await matchOwnedNumber(db, number, recipient.id)) ?? (await any()) : await any();
  }
  const s = st(db);
  const contact = m ? (await first(s.contact.execute({ id: m.contactId }))) ?? null : null;
  const client = m ? (await first(s.client.execute({ id: m.clientId }))) ?? null : null;
  const owner = client?.ownerId ? (await first(s.user.execute({ id: client.ownerId }))) ?? null : null;
  const rows = await lastCallsOf(db, { contactId: contact?.id ?? null, number: number ?? null, callId: call.id, userId: manager ? recipient.id : null });
  const lastCalls: CallSummary[] = rows.map((r) => ({
    id: r.id, startedAt: new Date(r.startedAt).toISOString(), direction: r.direction, disposition: r.disposition,
    talkSeconds: Math.round(r.talkMs / 1000), extension: r.extension,
  }));
  const openTasks = await taskViews(db, await openTasksFor(db, recipient, contact?.id ?? null, number, now), now);
  return {
    callId: call.id,
    linkedId: call.linkedId,
    direction: record.direction,
    externalNumber: number,
    extension: leg.extension ?? '',
    startedAt: new Date(record.startedAt).toISOString(),
    routedBy: record.routedBy,
    contact: contact ? { id: contact.id, name: contact.name, email: contact.email } : null,
    client: client ? {
      id: client.id, name: client.name, kind: client.kind,
      turnover: client.turnoverMinor !== null && client.currency ? { amount: formatAmount(client.turnoverMinor, client.currency), currency: client.currency } : null,
      owner, segment: client.segment,
    } : null,
    otherOwner: null, // the call grant shows the client itself (events.ts)
    lastCalls,
    openTasks,
    prefill: { number },
  };
}
