// Who a call was with, by name (the contact and the client), for the people who see the call: the wrap-up
// of a call that never popped (click-to-call), the pending wrap-ups and the call lists. A manager is
// given the names of their own clients only, as the pop and the contacts API give them
// (src/realtime/screen-pop.ts); supervisors and admins every name.
import { inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { clients, contacts } from '../db/schema/index.js';
import type { Actor } from '../users/users.js';

export interface CallParties {
  contact: { id: string; name: string } | null;
  client: { id: string; name: string } | null;
}

/** The parties of each call (by its contactId and clientId), as `actor` may see them. */
export function partiesOf(db: Db, actor: Pick<Actor, 'id' | 'role'>, rows: readonly { contactId: string | null; clientId: string | null }[]): CallParties[] {
  const contactIds = [...new Set(rows.map((r) => r.contactId).filter((x): x is string => !!x))];
  const clientIds = [...new Set(rows.map((r) => r.clientId).filter((x): x is string => !!x))];
  const cts = new Map(contactIds.length ? db.select({ id: contacts.id, name: contacts.name, clientId: contacts.clientId }).from(contacts).where(inArray(contacts.id, contactIds)).all().map((c) => [c.id, c]) : []);
  const cls = new Map(clientIds.length ? db.select({ id: clients.id, name: clients.name, ownerId: clients.ownerId }).from(clients).where(inArray(clients.id, clientIds)).all().map((c) => [c.id, c]) : []);
  const mine = (clientId: string | null | undefined) => actor.role !== 'manager' || (!!clientId && cls.get(clientId)?.ownerId === actor.id);
  return rows.map((r) => {
    const client = r.clientId ? cls.get(r.clientId) : undefined;
    const contact = r.contactId ? cts.get(r.contactId) : undefined;
    return {
      client: client && mine(client.id) ? { id: client.id, name: client.name } : null,
      contact: contact && mine(r.clientId ?? contact.clientId) ? { id: contact.id, name: contact.name } : null,
    };
  });
}
