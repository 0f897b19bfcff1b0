// Clients: create, read, update, delete, list, and upsert by external CRM id. Access first (context.ts).
import { and, asc, eq, gt, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first, transaction } from '../db/query.js';
import { calls, clients, contactPhones, contacts, users, type ClientKind, type ClientRow } from '../db/schema/index.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { CtiError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { formatAmount } from '../lib/money.js';
import { parsePhone } from '../lib/phone.js';
import { badText, userNameKey, type TextFault } from '../lib/text.js';
import { assertMayAssignOwner, assertReadsClient, assertSeesClient, isManager, nowOf, visibleClients, type ContactsContext } from './context.js';
import { checkCurrency, checkExternalId, checkName, checkSegment, checkTurnover, type Checked } from './fields.js';
import { rematchCalls } from './match.js';
import { clientView, containsPattern, type ClientView } from './views.js';

export interface ClientInput {
  kind?: ClientKind;
  name?: string;
  /** Decimal string ("200000.50", "200 000,50") or number; null clears it. */
  turnover?: string | number | null;
  currency?: string | null;
  /** The owner manager by user id or by user name (not both); null: no owner. */
  ownerId?: string | null;
  ownerName?: string | null;
  segment?: string | null;
  externalId?: string | null;
}

export interface ClientFilters {
  q?: string;
  ownerId?: string;
  segment?: string;
  kind?: ClientKind;
  limit?: number;
  cursor?: string;
}

type ClientFields = Pick<ClientRow, 'kind' | 'name' | 'turnoverMinor' | 'currency' | 'ownerId' | 'segment' | 'externalId'>;

/** 400 naming the field; CTI_ERR_BAD_TEXT when the text rule refused it (src/lib/text.ts). */
export function badField(field: string, reason: string, fault?: TextFault): never {
  if (fault) throw badText(field, { fault, reason });
  throw new CtiError('CTI_ERR_BAD_REQUEST', `${field}: ${reason}`);
}

export function must<T>(field: string, c: Checked<T>): T {
  if (!c.ok) badField(field, c.reason, c.fault);
  return c.value;
}

async function resolveOwner(ctx: ContactsContext, input: ClientInput): Promise<string | null | undefined> {
  if (input.ownerId != null && input.ownerName != null) badField('ownerName', 'give ownerId or ownerName, not both');
  if (input.ownerId !== undefined) {
    if (input.ownerId === null) return null;
    if (!await first(ctx.db.select({ id: users.id }).from(users).where(eq(users.id, input.ownerId)).limit(1))) badField('ownerId', 'no such user');
    return input.ownerId;
  }
  if (input.ownerName !== undefined) {
    if (input.ownerName === null) return null;
    const u = await first(ctx.db.select({ id: users.id }).from(users).where(eq(users.name, userNameKey(input.ownerName))).limit(1));
    if (!u) badField('ownerName', `no user '${input.ownerName}'`);
    return u.id;
  }
  return undefined;
}

/** `input` over `base` (undefined keeps base's value), validated. `base` null: a new client. */
async function clientFields(ctx: ContactsContext, input: ClientInput, base: ClientFields | null): Promise<ClientFields> {
  const name = input.name !== undefined ? must('name', checkName(input.name)) : base?.name;
  if (name === undefined) badField('name', 'required');
  const owner = await resolveOwner(ctx, input);
  const currency = input.currency === undefined ? base?.currency ?? null
    : input.currency === null ? null : must('currency', checkCurrency(input.currency));
  // Turnover is read in its currency: when either changes, the amount is read again in the new one.
  let turnoverMinor = base?.turnoverMinor ?? null;
  if (input.turnover !== undefined || input.currency !== undefined) {
    const amount = input.turnover !== undefined ? input.turnover
      : base?.turnoverMinor != null && base.currency ? formatAmount(base.turnoverMinor, base.currency) : null;
    if (amount === null) turnoverMinor = null;
    else if (!currency) badField('currency', 'required with turnover');
    else turnoverMinor = must('turnover', checkTurnover(amount, currency));
  }
  return {
    kind: input.kind ?? base?.kind ?? 'company',
    name,
    turnoverMinor,
    currency,
    ownerId: owner === undefined ? base?.ownerId ?? null : owner,
    segment: input.segment === undefined ? base?.segment ?? null : input.segment === null ? null : must('segment', checkSegment(input.segment)),
    externalId: input.externalId === undefined ? base?.externalId ?? null
      : input.externalId === null ? null : must('externalId', checkExternalId(input.externalId)),
  };
}

async function assertExternalIdFree(ctx: ContactsContext, externalId: string | null, selfId: string | null): Promise<void> {
  if (externalId === null) return;
  const other = await first(ctx.db.select({ id: clients.id }).from(clients).where(eq(clients.externalId, externalId)).limit(1));
  if (other && other.id !== selfId) throw new CtiError('CTI_ERR_EXTERNAL_ID_TAKEN', `externalId: client '${externalId}' exists already`);
}

const sameFields = (a: ClientFields, b: ClientFields) =>
  a.kind === b.kind && a.name === b.name && a.turnoverMinor === b.turnoverMinor && a.currency === b.currency
  && a.ownerId === b.ownerId && a.segment === b.segment && a.externalId === b.externalId;

/** The client row if the actor may see it: 404 when there is none, 403 when it is another manager's. */
export async function visibleClientRow(ctx: ContactsContext, id: string): Promise<ClientRow> {
  const row = await first(ctx.db.select().from(clients).where(eq(clients.id, id)).limit(1));
  if (!row) throw new CtiError('CTI_ERR_CLIENT_NOT_FOUND');
  assertSeesClient(ctx.actor, row);
  return row;
}

/** Every E.164 number of a client's contacts (to re-match when the owner changes or it goes). */
async function clientNumbers(db: Db, clientId: string): Promise<string[]> {
  const rows = await db.select({ e164: contactPhones.e164 }).from(contactPhones)
    .innerJoin(contacts, eq(contacts.id, contactPhones.contactId))
    .where(eq(contacts.clientId, clientId));
  return rows.map((r) => r.e164);
}

async function insertClient(ctx: ContactsContext, f: ClientFields): Promise<ClientRow> {
  const now = nowOf(ctx);
  const row: ClientRow = { id: newId(), ...f, search: f.name.toLowerCase(), createdAt: now, updatedAt: now };
  await ctx.db.insert(clients).values(row);
  return row;
}

/** Write changed fields; when the owner changed, re-match the client's numbers (the rule ranks owners). */
async function writeClient(ctx: ContactsContext, row: ClientRow, f: ClientFields): Promise<ClientRow> {
  if (sameFields(row, f)) return row;
  const next: ClientRow = { ...row, ...f, search: f.name.toLowerCase(), updatedAt: nowOf(ctx) };
  await transaction(ctx.db, async (tx) => {
    await tx.update(clients).set({ ...f, search: next.search, updatedAt: next.updatedAt }).where(eq(clients.id, row.id));
    if (row.ownerId !== f.ownerId) await rematchCalls(tx, await clientNumbers(tx, row.id), nowOf(ctx) - ctx.rematchWindowMs);
  });
  return next;
}

export async function createClient(ctx: ContactsContext, input: ClientInput): Promise<ClientView> {
  const f = await clientFields(ctx, input, null);
  if (isManager(ctx.actor)) {
    if (input.ownerId === undefined && input.ownerName === undefined) f.ownerId = ctx.actor.id;
    assertMayAssignOwner(ctx.actor, f.ownerId);
  }
  await assertExternalIdFree(ctx, f.externalId, null);
  return clientView(await insertClient(ctx, f));
}

export async function getClient(ctx: ContactsContext, id: string): Promise<ClientView> {
  const row = await first(ctx.db.select().from(clients).where(eq(clients.id, id)).limit(1));
  if (!row) throw new CtiError('CTI_ERR_CLIENT_NOT_FOUND');
  await assertReadsClient(ctx, row);
  return clientView(row);
}

export async function updateClient(ctx: ContactsContext, id: string, input: ClientInput): Promise<ClientView> {
  const row = await visibleClientRow(ctx, id);
  const f = await clientFields(ctx, input, row);
  if (f.ownerId !== row.ownerId) assertMayAssignOwner(ctx.actor, f.ownerId);
  if (f.externalId !== row.externalId) await assertExternalIdFree(ctx, f.externalId, row.id);
  return clientView(await writeClient(ctx, row, f));
}

/**
 * PUT by external CRM id: the whole client as the CRM has it (absent optional fields become null;
 * a manager's new client is their own). Nothing changes, not even updatedAt, when nothing differs.
 */
export async function upsertClientByExternalId(ctx: ContactsContext, externalId: string, input: ClientInput): Promise<{ client: ClientView; created: boolean }> {
  const extId = must('externalId', checkExternalId(externalId));
  const row = await first(ctx.db.select().from(clients).where(eq(clients.externalId, extId)).limit(1));
  if (row) assertSeesClient(ctx.actor, row);
  const full: ClientInput = {
    kind: input.kind ?? 'company', name: input.name, turnover: input.turnover ?? null, currency: input.currency ?? null,
    segment: input.segment ?? null, externalId: extId,
    ...(input.ownerId !== undefined || input.ownerName !== undefined
      ? { ownerId: input.ownerId, ownerName: input.ownerName }
      : { ownerId: isManager(ctx.actor) ? ctx.actor.id : null }),
  };
  const f = await clientFields(ctx, full, null);
  if (!row || f.ownerId !== row.ownerId) assertMayAssignOwner(ctx.actor, f.ownerId);
  if (!row) return { client: clientView(await insertClient(ctx, f)), created: true };
  return { client: clientView(await writeClient(ctx, row, f)), created: false };
}

/** Deletes the client with its contacts; their calls lose the match, recent ones are re-matched. */
export async function deleteClient(ctx: ContactsContext, id: string): Promise<void> {
  await visibleClientRow(ctx, id);
  await transaction(ctx.db, async (tx) => {
    const numbers = await clientNumbers(tx, id);
    await tx.update(calls).set({ contactId: null, clientId: null }).where(eq(calls.clientId, id));
    await tx.delete(clients).where(eq(clients.id, id));
    await rematchCalls(tx, numbers, nowOf(ctx) - ctx.rematchWindowMs);
  });
}

/** Clients by name (then id), one page at a time; `q` searches names, contacts' names, emails and numbers. */
export async function listClients(ctx: ContactsContext, f: ClientFilters): Promise<{ items: ClientView[]; nextCursor: string | null }> {
  const conds: (SQL | undefined)[] = [visibleClients(ctx.actor)];
  const limit = f.limit ?? 50;
  if (f.ownerId) conds.push(eq(clients.ownerId, f.ownerId));
  if (f.segment) conds.push(eq(clients.segment, f.segment));
  if (f.kind) conds.push(eq(clients.kind, f.kind));
  if (f.q && f.q.trim() !== '') {
    const q = f.q.trim();
    const pattern = containsPattern(q);
    const e164 = parsePhone(q, ctx.region)?.e164;
    conds.push(or(
      sql`${clients.search} like ${pattern} escape '\\'`,
      inArray(clients.id, ctx.db.select({ id: contacts.clientId }).from(contacts).where(sql`${contacts.search} like ${pattern} escape '\\'`)),
      e164 ? inArray(clients.id, ctx.db.select({ id: contacts.clientId }).from(contacts)
        .innerJoin(contactPhones, eq(contactPhones.contactId, contacts.id)).where(eq(contactPhones.e164, e164))) : undefined,
    ));
  }
  if (f.cursor) {
    const [name, id] = decodeCursor(f.cursor, ['s', 's']) as [string, string];
    conds.push(or(gt(clients.name, name), and(eq(clients.name, name), gt(clients.id, id))));
  }
  const rows = await ctx.db.select().from(clients).where(and(...conds)).orderBy(asc(clients.name), asc(clients.id)).limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(clientView), nextCursor: rows.length > limit && last ? encodeCursor([last.name, last.id]) : null };
}
