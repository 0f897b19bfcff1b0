// "Who is calling?": a number in any format -> { contact, client, owner, turnover }, for screen pops
// and the CRM. Supervisors and admins get the match of the shared-number rule (match.ts); a manager
// gets the same rule applied to their own clients only, so a lookup never shows them another's client,
// but for the one a call on their phone grants them (the call grant, context.ts): the card it links to.
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { clients, contactPhones, contacts, users } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import { formatAmount } from '../lib/money.js';
import { parsePhone } from '../lib/phone.js';
import { grantedByCall, isManager, nowOf, type ContactsContext } from './context.js';
import { matchNumber, matchOwnedNumber } from './match.js';
import { clientView, contactView, type ClientView, type ContactView } from './views.js';

export interface LookupResult {
  contact: ContactView;
  client: ClientView;
  owner: { id: string; name: string; extension: string | null } | null;
  turnover: { amount: string; currency: string; minorUnits: number } | null;
}

// Prepared once per database: a screen pop is on the path of a ringing phone.
const ph = sql.placeholder;
const prepare = (db: Db) => ({
  contact: db.select().from(contacts).where(eq(contacts.id, ph('id'))).prepare(),
  phones: db.select().from(contactPhones).where(eq(contactPhones.contactId, ph('id'))).orderBy(asc(contactPhones.id)).prepare(),
  client: db.select().from(clients).where(eq(clients.id, ph('id'))).prepare(),
  user: db.select({ id: users.id, name: users.name, extension: users.extension }).from(users).where(eq(users.id, ph('id'))).prepare(),
});
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();

export function lookupNumber(ctx: ContactsContext, number: string): LookupResult {
  const manager = isManager(ctx.actor);
  const e164 = parsePhone(number, ctx.region)?.e164;
  if (!e164) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND', `'${number.slice(0, 40)}' is not a phone number we can match`);
  const any = () => matchNumber(ctx.db, e164);
  const granted = (g: ReturnType<typeof matchNumber>) => (g && grantedByCall(ctx.db, ctx.actor.id, { contactId: g.contactId }, nowOf(ctx)) ? g : null);
  const m = manager ? matchOwnedNumber(ctx.db, e164, ctx.actor.id) ?? granted(any()) : any();
  if (!m) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND', `No contact has ${e164}`);
  let st = statements.get(ctx.db);
  if (!st) statements.set(ctx.db, (st = prepare(ctx.db)));
  const contact = st.contact.get({ id: m.contactId });
  const client = st.client.get({ id: m.clientId });
  if (!contact || !client) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND', `No contact has ${e164}`);
  const owner = client.ownerId ? st.user.get({ id: client.ownerId }) ?? null : null;
  return {
    contact: contactView(contact, st.phones.all({ id: contact.id })),
    client: clientView(client),
    owner,
    turnover: client.turnoverMinor !== null && client.currency
      ? { amount: formatAmount(client.turnoverMinor, client.currency), currency: client.currency, minorUnits: client.turnoverMinor }
      : null,
  };
}
