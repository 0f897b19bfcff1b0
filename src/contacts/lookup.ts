// "Who is calling?": a number in any format -> { contact, client, owner, turnover }, for screen pops
// and the CRM. Supervisors and admins get the match of the shared-number rule (match.ts); a manager
// gets the same rule applied to their own clients only, so a lookup never shows them another's client,
// but for the one a call on their phone grants them (the call grant, context.ts): the card it links to.
import { asc, eq, sql } from 'drizzle-orm';
import type { Owner } from '../contract/calls.js';
import type { Db } from '../db/client.js';
import { prepareNamed } from '../db/contacts.js';
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
  owner: Owner | null;
  turnover: { amount: string; currency: string; minorUnits: number } | null;
}

// Prepared once per database (named on PostgreSQL): a screen pop is on the path of a ringing phone.
const ph = sql.placeholder;
const prepare = (db: Db) => ({
  contact: prepareNamed(db.select().from(contacts).where(eq(contacts.id, ph('id'))), 'lookup_contact'),
  phones: prepareNamed(db.select().from(contactPhones).where(eq(contactPhones.contactId, ph('id'))).orderBy(asc(contactPhones.id)), 'lookup_phones'),
  client: prepareNamed(db.select().from(clients).where(eq(clients.id, ph('id'))), 'lookup_client'),
  user: prepareNamed(db.select({ id: users.id, name: users.name, extension: users.extension, pbx: users.pbxId }).from(users).where(eq(users.id, ph('id'))), 'lookup_user'),
});
const statements = new WeakMap<Db, ReturnType<typeof prepare>>();

export async function lookupNumber(ctx: ContactsContext, number: string): Promise<LookupResult> {
  const manager = isManager(ctx.actor);
  const e164 = parsePhone(number, ctx.region)?.e164;
  if (!e164) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND', `'${number.slice(0, 40)}' is not a phone number we can match`);
  const granted = async () => {
    const g = await matchNumber(ctx.db, e164);
    return g && await grantedByCall(ctx.db, ctx.actor.id, { contactId: g.contactId }, nowOf(ctx)) ? g : null;
  };
  const m = manager ? await matchOwnedNumber(ctx.db, e164, ctx.actor.id) ?? await granted() : await matchNumber(ctx.db, e164);
  if (!m) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND', `No contact has ${e164}`);
  let st = statements.get(ctx.db);
  if (!st) statements.set(ctx.db, (st = prepare(ctx.db)));
  // Independent probes: on PostgreSQL they go out together (the pool runs them on separate connections).
  const [[contact], [client], phones] = await Promise.all([
    st.contact.execute({ id: m.contactId }), st.client.execute({ id: m.clientId }), st.phones.execute({ id: m.contactId }),
  ]);
  if (!contact || !client) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND', `No contact has ${e164}`);
  const owner = client.ownerId ? (await st.user.execute({ id: client.ownerId }))[0] ?? null : null;
  return {
    contact: contactView(contact, phones),
    client: clientView(client),
    owner,
    turnover: client.turnoverMinor !== null && client.currency
      ? { amount: formatAmount(client.turnoverMinor, client.currency), currency: client.currency, minorUnits: client.turnoverMinor }
      : null,
  };
}
