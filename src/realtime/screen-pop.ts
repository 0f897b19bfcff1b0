// The caller's card (ScreenPop) for the manager whose phone starts ringing. On the hot path of a
// ringing phone: every query is a prepared statement on an index (contact_phones.e164 through match.ts,
// primary keys, calls(contact_id|external_number, started_at), tasks(contact_id|number)), a handful of
// microseconds each. The card follows the access rules of its recipient: a manager's card shows their
// own calls and their own tasks, and the caller's contact and client even when another manager owns
// them, since the call is ringing on their phone (the call grant, src/contacts/context.ts; their own
// client of that number first, as their lookup has it).
import { and, desc, eq, ne, or, sql } from 'drizzle-orm';
import type { CallSnapshot, LegView } from '../calls/snapshot.js';
import { matchNumber, matchOwnedNumber } from '../contacts/match.js';
import type { Db } from '../db/client.js';
import { callLegs, calls, clients, contacts, users } from '../db/schema/index.js';
import { formatAmount } from '../lib/money.js';
import { openTasksFor, taskViews } from '../tasks/tasks.js';
import type { Actor } from '../users/users.js';
import type { CallSummary, ScreenPop } from '../contract/index.js';

const ph = sql.placeholder;

function prepare(db: Db) {
  const lastCalls = (own: boolean) => db
    .select({ id: calls.id, startedAt: calls.startedAt, direction: calls.direction, disposition: calls.disposition, talkMs: calls.talkMs, extension: calls.extension })
    .from(calls)
    .where(and(
      or(eq(calls.contactId, ph('contactId')), eq(calls.externalNumber, ph('number'))),
      ne(calls.id, ph('callId')),
      // A manager's own calls, as the call log's access rule has them (src/calls/queries.ts): the user
      // recorded on the call or a leg, not whoever has the extension now.
      own ? or(
        eq(calls.managerId, ph('userId')),
        sql`exists (select 1 from ${callLegs} where ${callLegs.callId} = ${calls.id} and ${callLegs.managerId} = ${ph('userId')})`,
      ) : undefined,
    ))
    .orderBy(desc(calls.startedAt))
    .limit(5)
    .prepare();
  return {
    contact: db.select({ id: contacts.id, name: contacts.name, email: contacts.email }).from(contacts).where(eq(contacts.id, ph('id'))).prepare(),
    client: db.select().from(clients).where(eq(clients.id, ph('id'))).prepare(),
    user: db.select({ id: users.id, name: users.name, extension: users.extension }).from(users).where(eq(users.id, ph('id'))).prepare(),
    lastCalls: lastCalls(false),
    ownLastCalls: lastCalls(true),
  };
}
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();
function st(db: Db): ReturnType<typeof prepare> {
  let s = statements.get(db);
  if (!s) statements.set(db, (s = prepare(db)));
  return s;
}

export async function buildScreenPop(db: Db, call: CallSnapshot, leg: LegView, recipient: Actor, now = Date.now()): Promise<ScreenPop> {
  const s = st(db);
  const record = call.record;
  const number = record.externalNumber;
  const manager = recipient.role === 'manager';
  let m: { contactId: string; clientId: string } | null = null;
  if (record.direction !== 'internal' && number?.startsWith('+')) {
    const known = record.contactId && record.clientId ? { contactId: record.contactId, clientId: record.clientId } : null;
    const any = () => known ?? matchNumber(db, number);
    m = manager ? matchOwnedNumber(db, number, recipient.id) ?? any() : any();
  }
  const contact = m ? s.contact.get({ id: m.contactId }) ?? null : null;
  const client = m ? s.client.get({ id: m.clientId }) ?? null : null;
  const owner = client?.ownerId ? s.user.get({ id: client.ownerId }) ?? null : null;
  const args = { contactId: contact?.id ?? '\u0000', number: number ?? '\u0000', callId: call.id };
  const rows = manager ? s.ownLastCalls.all({ ...args, userId: recipient.id }) : s.lastCalls.all(args);
  const lastCalls: CallSummary[] = rows.map((r) => ({
    id: r.id, startedAt: new Date(r.startedAt).toISOString(), direction: r.direction, disposition: r.disposition,
    talkSeconds: Math.round(r.talkMs / 1000), extension: r.extension,
  }));
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
    openTasks: await taskViews(db, await openTasksFor(db, recipient, contact?.id ?? null, number, now), now),
    prefill: { number },
  };
}
