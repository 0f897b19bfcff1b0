// Who a call was with, by name (the contact and the client), for the people who see the call: the wrap-up
// of a call that never popped (click-to-call), the pending wrap-ups and the call lists. A manager is
// given the names of their own clients, and of the caller of a call that grants them its card (the call
// grant, src/contacts/context.ts: live on their phone, or answered by them within the wrap-up window),
// as the pop and the contacts API give them; supervisors and admins every name.
import { and, inArray } from 'drizzle-orm';
import { callGrant } from '../contacts/context.js';
import type { Db } from '../db/client.js';
import { calls, clients, contacts } from '../db/schema/index.js';
import type { Actor } from '../users/users.js';

export interface CallParties {
  contact: { id: string; name: string } | null;
  client: { id: string; name: string } | null;
}

/**
 * The parties of each call (by its id, contactId and clientId), as `actor` may see them. `ringing`: the
 * calls are ringing or talking on the actor's phone right now (the realtime hub's recipients), which
 * grants them by definition, whatever the database has written of them yet.
 */
export async function partiesOf(
  db: Db, actor: Pick<Actor, 'id' | 'role'>, rows: readonly { id: string; contactId: string | null; clientId: string | null }[],
  opts: { now?: number; ringing?: boolean } = {},
): Promise<CallParties[]> {
  const contactIds = [...new Set(rows.map((r) => r.contactId).filter((x): x is string => !!x))];
  const clientIds = [...new Set(rows.map((r) => r.clientId).filter((x): x is string => !!x))];
  const cts = new Map(contactIds.length ? (await db.select({ id: contacts.id, name: contacts.name, clientId: contacts.clientId }).from(contacts).where(inArray(contacts.id, contactIds))).map((c) => [c.id, c]) : []);
  const cls = new Map(clientIds.length ? (await db.select({ id: clients.id, name: clients.name, ownerId: clients.ownerId }).from(clients).where(inArray(clients.id, clientIds))).map((c) => [c.id, c]) : []);
  const manager = actor.role === 'manager';
  const callIds = rows.filter((r) => r.contactId || r.clientId).map((r) => r.id);
  const granted = new Set(!manager || opts.ringing || !callIds.length ? [] : (await db.select({ id: calls.id }).from(calls)
    .where(and(inArray(calls.id, callIds), callGrant(actor.id, opts.now ?? Date.now())))).map((c) => c.id));
  const mine = (clientId: string | null | undefined) => !manager || (!!clientId && cls.get(clientId)?.ownerId === actor.id);
  return rows.map((r) => {
    const client = r.clientId ? cls.get(r.clientId) : undefined;
    const contact = r.contactId ? cts.get(r.contactId) : undefined;
    const grant = !manager || opts.ringing || granted.has(r.id);
    return {
      client: client && (grant || mine(client.id)) ? { id: client.id, name: client.name } : null,
      contact: contact && (grant || mine(r.clientId ?? contact.clientId)) ? { id: contact.id, name: contact.name } : null,
    };
  });
}
