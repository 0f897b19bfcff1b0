// The caller's card (ScreenPop) for the manager whose phone starts ringing. On the hot path of a
// ringing phone: every query is on an index (contact_phones.e164 through match.ts,
// primary keys, calls(contact_id|external_number, started_at), tasks(contact_id|number)), a handful of
// microseconds each. The card follows the access rules of its recipient: a manager's card shows their
// own calls and their own tasks, and the caller's contact and client even when another manager owns
// them, since the call is ringing on their phone (the call grant, src/contacts/context.ts; their own
// client of that number first, as their lookup has it).
import { and, desc, eq, ne, or, sql } from 'drizzle-orm';
import type { CallSnapshot, LegView } from '../calls/snapshot.js';
import { matchNumber, matchOwnedNumber } from '../contacts/match.js';
import type { Db } from '../db/client.js';
import { first } from '../db/query.js';
import { callLegs, calls, clients, contacts, users } from '../db/schema/index.js';
import { formatAmount } from '../lib/money.js';
import { openTasksFor, taskViews } from '../tasks/tasks.js';
import type { Actor } from '../users/users.js';
import type { CallSummary, ScreenPop } from '../contract/index.js';

/** The caller's last calls but this one (the five newest); for a manager only their own. */
async function lastCallsOf(db: Db, a: { contactId: string | null; number: string | null; callId: string; userId: string | null }) {
  // No contact and no number: no earlier calls to find (a text parameter may not carry a NUL on PostgreSQL).
  const caller = [a.contactId !== null ? eq(calls.contactId, a.contactId) : null, a.number !== null ? eq(calls.externalNumber, a.number) : null]
    .filter((c) => c !== null);
  if (!caller.length) return [];
  return db
    .select({ id: calls.id, startedAt: calls.startedAt, direction: calls.direction, disposition: calls.disposition, talkMs: calls.talkMs, extension: calls.extension })
    .from(calls)
    .where(and(
      or(...caller),
      ne(calls.id, a.callId),
      // A manager's own calls, as the call log's access rule has them (src/calls/queries.ts): the user
      // recorded on the call or a leg, not whoever has the extension now.
      a.userId !== null ? or(
        eq(calls.managerId, a.userId),
        sql`exists (select 1 from ${callLegs} where ${callLegs.callId} = ${calls.id} and ${callLegs.managerId} = ${a.userId})`,
      ) : undefined,
    ))
    .orderBy(desc(calls.startedAt))
    .limit(5);
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
  const contact = m ? (await first(db.select({ id: contacts.id, name: contacts.name, email: contacts.email }).from(contacts).where(eq(contacts.id, m.contactId)).limit(1))) ?? null : null;
  const client = m ? (await first(db.select().from(clients).where(eq(clients.id, m.clientId)).limit(1))) ?? null : null;
  const owner = client?.ownerId
    ? (await first(db.select({ id: users.id, name: users.name, extension: users.extension }).from(users).where(eq(users.id, client.ownerId)).limit(1))) ?? null
    : null;
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
