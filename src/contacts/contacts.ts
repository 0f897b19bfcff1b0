// Contacts (the people of a client) and their numbers: create, read, update, delete, list, and upsert
// by external CRM id. Access first (context.ts): a contact is visible when its client is. Whenever a
// contact's numbers or client change, recent calls on those numbers are re-matched (match.ts).
import { and, asc, eq, gt, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first, transaction } from '../db/query.js';
import { calls, clients, contactPhones, contacts, type ClientRow, type ContactPhoneRow, type ContactRow } from '../db/schema/index.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { CtiError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { parsePhone } from '../lib/phone.js';
import { badField, must } from './clients.js';
import { assertReadsContact, assertSeesClient, nowOf, visibleClients, type ContactsContext } from './context.js';
import { checkEmail, checkExternalId, checkName, checkPhones, type CleanPhone, type PhoneInput } from './fields.js';
import { rematchCalls } from './match.js';
import { containsPattern, contactSearchText, contactView, type ContactView } from './views.js';

export interface ContactInput {
  /** The client by our id or by its external CRM id (not both). */
  clientId?: string;
  clientExternalId?: string;
  name?: string;
  email?: string | null;
  externalId?: string | null;
  /** The whole list: replaces the contact's numbers. */
  phones?: PhoneInput[];
}

export interface ContactFilters {
  q?: string;
  clientId?: string;
  limit?: number;
  cursor?: string;
}

/** Phone row ids sort in the order the numbers were given: the first is the one to call back. */
export const phoneId = (contactId: string, index: number) => `${contactId}:${String(index).padStart(2, '0')}`;

export async function phonesOf(db: Db, contactIds: readonly string[]): Promise<Map<string, ContactPhoneRow[]>> {
  const m = new Map<string, ContactPhoneRow[]>();
  if (contactIds.length === 0) return m;
  for (const p of await db.select().from(contactPhones).where(inArray(contactPhones.contactId, [...contactIds])).orderBy(asc(contactPhones.id))) {
    const list = m.get(p.contactId);
    if (list) list.push(p);
    else m.set(p.contactId, [p]);
  }
  return m;
}

/** The client a contact input names, if the actor may see it: 400 when there is none, 403 when another's. */
async function clientOf(ctx: ContactsContext, input: ContactInput): Promise<ClientRow | undefined> {
  if (input.clientId !== undefined && input.clientExternalId !== undefined) badField('clientExternalId', 'give clientId or clientExternalId, not both');
  let row: ClientRow | undefined;
  if (input.clientId !== undefined) {
    row = await first(ctx.db.select().from(clients).where(eq(clients.id, input.clientId)).limit(1));
    if (!row) badField('clientId', 'no such client');
  } else if (input.clientExternalId !== undefined) {
    row = await first(ctx.db.select().from(clients).where(eq(clients.externalId, input.clientExternalId)).limit(1));
    if (!row) badField('clientExternalId', `no client '${input.clientExternalId}'`);
  } else return undefined;
  assertSeesClient(ctx.actor, row);
  return row;
}

function cleanPhones(ctx: ContactsContext, list: readonly PhoneInput[]): CleanPhone[] {
  const r = checkPhones(list, ctx.region);
  if (!r.ok) badField(`phones/${r.index}/${r.field}`, r.reason, r.fault);
  return r.value;
}

interface Existing {
  row: ContactRow;
  phones: ContactPhoneRow[];
}

/**
 * The contact row and its numbers if the actor may see it (`read`: or read it, by a call grant,
 * context.ts): 404 when there is none, 403 when another's.
 */
async function visibleContact(ctx: ContactsContext, id: string, read = false): Promise<Existing> {
  const found = await first(ctx.db.select({ contact: contacts, ownerId: clients.ownerId }).from(contacts)
    .innerJoin(clients, eq(clients.id, contacts.clientId)).where(eq(contacts.id, id)).limit(1));
  if (!found) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND', 'No such contact');
  if (read) await assertReadsContact(ctx, { id, ownerId: found.ownerId });
  else assertSeesClient(ctx.actor, found);
  return { row: found.contact, phones: (await phonesOf(ctx.db, [id])).get(id) ?? [] };
}

async function assertExternalIdFree(ctx: ContactsContext, externalId: string | null, selfId: string | null): Promise<void> {
  if (externalId === null) return;
  const other = await first(ctx.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.externalId, externalId)).limit(1));
  if (other && other.id !== selfId) throw new CtiError('CTI_ERR_EXTERNAL_ID_TAKEN', `externalId: contact '${externalId}' exists already`);
}

type ContactFields = Pick<ContactRow, 'clientId' | 'name' | 'email' | 'externalId'>;

const samePhones = (a: readonly { raw: string; e164: string; label: string | null }[], b: readonly CleanPhone[]) =>
  a.length === b.length && a.every((p, i) => p.raw === b[i]!.raw && p.e164 === b[i]!.e164 && p.label === b[i]!.label);

/**
 * Insert or update one contact (fields and numbers), in one transaction, and re-match recent calls
 * on every number it gained or lost (all of them when it moved to another client). Unchanged: no write.
 */
export async function saveContact(ctx: ContactsContext, existing: Existing | null, f: ContactFields, phones: CleanPhone[]): Promise<{ row: ContactRow; phones: ContactPhoneRow[]; changed: boolean }> {
  const now = nowOf(ctx);
  const search = contactSearchText(f.name, f.email, phones.map((p) => p.e164));
  const phonesChanged = !existing || !samePhones(existing.phones, phones);
  if (existing && !phonesChanged && existing.row.clientId === f.clientId && existing.row.name === f.name
    && existing.row.email === f.email && existing.row.externalId === f.externalId) {
    return { row: existing.row, phones: existing.phones, changed: false };
  }
  const id = existing?.row.id ?? newId();
  const row: ContactRow = { id, ...f, search, createdAt: existing?.row.createdAt ?? now, updatedAt: now };
  const phoneRows: ContactPhoneRow[] = phones.map((p, i) => ({ id: phoneId(id, i), contactId: id, raw: p.raw, e164: p.e164, label: p.label }));
  const touched = new Set<string>();
  if (phonesChanged || existing?.row.clientId !== f.clientId) {
    for (const p of existing?.phones ?? []) touched.add(p.e164);
    for (const p of phones) touched.add(p.e164);
  }
  await transaction(ctx.db, async (tx) => {
    if (existing) await tx.update(contacts).set({ ...f, search, updatedAt: now }).where(eq(contacts.id, id));
    else await tx.insert(contacts).values(row);
    if (phonesChanged) {
      if (existing) await tx.delete(contactPhones).where(eq(contactPhones.contactId, id));
      if (phoneRows.length) await tx.insert(contactPhones).values(phoneRows);
    }
    await rematchCalls(tx, touched, now - ctx.rematchWindowMs);
  });
  return { row, phones: phoneRows, changed: true };
}

export async function createContact(ctx: ContactsContext, input: ContactInput): Promise<ContactView> {
  const client = await clientOf(ctx, input);
  if (!client) badField('clientId', 'required');
  if (input.name === undefined) badField('name', 'required');
  const f: ContactFields = {
    clientId: client.id,
    name: must('name', checkName(input.name)),
    email: input.email == null ? null : must('email', checkEmail(input.email)),
    externalId: input.externalId == null ? null : must('externalId', checkExternalId(input.externalId)),
  };
  const phones = cleanPhones(ctx, input.phones ?? []);
  await assertExternalIdFree(ctx, f.externalId, null);
  const saved = await saveContact(ctx, null, f, phones);
  return contactView(saved.row, saved.phones);
}

export async function getContact(ctx: ContactsContext, id: string): Promise<ContactView> {
  const c = await visibleContact(ctx, id, true);
  return contactView(c.row, c.phones);
}

/** PATCH: the fields given change; `phones`, when given, replaces the list. */
export async function updateContact(ctx: ContactsContext, id: string, input: ContactInput): Promise<ContactView> {
  const existing = await visibleContact(ctx, id);
  const client = await clientOf(ctx, input);
  const f: ContactFields = {
    clientId: client?.id ?? existing.row.clientId,
    name: input.name === undefined ? existing.row.name : must('name', checkName(input.name)),
    email: input.email === undefined ? existing.row.email : input.email === null ? null : must('email', checkEmail(input.email)),
    externalId: input.externalId === undefined ? existing.row.externalId
      : input.externalId === null ? null : must('externalId', checkExternalId(input.externalId)),
  };
  const phones = input.phones === undefined ? existing.phones.map((p) => ({ raw: p.raw, e164: p.e164, label: p.label })) : cleanPhones(ctx, input.phones);
  if (f.externalId !== existing.row.externalId) await assertExternalIdFree(ctx, f.externalId, id);
  const saved = await saveContact(ctx, existing, f, phones);
  return contactView(saved.row, saved.phones);
}

/** PUT by external CRM id: the whole contact as the CRM has it (no email or phones given: none). */
export async function upsertContactByExternalId(ctx: ContactsContext, externalId: string, input: ContactInput): Promise<{ contact: ContactView; created: boolean }> {
  const extId = must('externalId', checkExternalId(externalId));
  const id = (await first(ctx.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.externalId, extId)).limit(1)))?.id;
  const existing = id ? await visibleContact(ctx, id) : null;
  const client = await clientOf(ctx, input);
  if (!client) badField('clientId', 'required (or clientExternalId)');
  if (input.name === undefined) badField('name', 'required');
  const f: ContactFields = {
    clientId: client.id,
    name: must('name', checkName(input.name)),
    email: input.email == null ? null : must('email', checkEmail(input.email)),
    externalId: extId,
  };
  const saved = await saveContact(ctx, existing, f, cleanPhones(ctx, input.phones ?? []));
  return { contact: contactView(saved.row, saved.phones), created: !existing };
}

/** Deletes the contact; its calls lose the match and recent calls on its numbers are re-matched. */
export async function deleteContact(ctx: ContactsContext, id: string): Promise<void> {
  const existing = await visibleContact(ctx, id);
  await transaction(ctx.db, async (tx) => {
    await tx.update(calls).set({ contactId: null, clientId: null }).where(eq(calls.contactId, id));
    await tx.delete(contacts).where(eq(contacts.id, id));
    await rematchCalls(tx, existing.phones.map((p) => p.e164), nowOf(ctx) - ctx.rematchWindowMs);
  });
}

/** Contacts by name (then id), one page at a time; `q` finds names and emails (any case, any script), a number in any format, or part of one. */
export async function listContacts(ctx: ContactsContext, f: ContactFilters): Promise<{ items: ContactView[]; nextCursor: string | null }> {
  const access = visibleClients(ctx.actor);
  const conds: (SQL | undefined)[] = [access];
  const limit = f.limit ?? 50;
  if (f.clientId) conds.push(eq(contacts.clientId, f.clientId));
  if (f.q && f.q.trim() !== '') {
    const q = f.q.trim();
    const e164 = parsePhone(q, ctx.region)?.e164;
    conds.push(or(
      sql`${contacts.search} like ${containsPattern(q)} escape '\\'`,
      e164 ? inArray(contacts.id, ctx.db.select({ id: contactPhones.contactId }).from(contactPhones).where(eq(contactPhones.e164, e164))) : undefined,
    ));
  }
  if (f.cursor) {
    const [name, id] = decodeCursor(f.cursor, ['s', 's']) as [string, string];
    conds.push(or(gt(contacts.name, name), and(eq(contacts.name, name), gt(contacts.id, id))));
  }
  const base = ctx.db.select({ contact: contacts }).from(contacts);
  const rows = (await (access ? base.innerJoin(clients, eq(clients.id, contacts.clientId)) : base)
    .where(and(...conds)).orderBy(asc(contacts.name), asc(contacts.id)).limit(limit + 1)).map((r) => r.contact);
  const page = rows.slice(0, limit);
  const phones = await phonesOf(ctx.db, page.map((r) => r.id));
  const last = page.at(-1);
  return {
    items: page.map((r) => contactView(r, phones.get(r.id) ?? [])),
    nextCursor: rows.length > limit && last ? encodeCursor([last.name, last.id]) : null,
  };
}
