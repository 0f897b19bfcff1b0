// What every contacts domain function gets (fn(ctx, input)), and the access rules they check first:
// a manager sees and changes only the clients they own (clients.owner_id = their user id) and those
// clients' contacts; supervisors and admins see and change all. Imports are for supervisors and admins.
// One exception, the call grant (README, "Access"): a call on a manager's phone lets them read its
// caller's contact and client, whoever owns them, while it lasts and for its wrap-up afterwards.
import { and, eq, gte, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { callLegs, calls, clients, type ClientRow } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import type { Actor } from '../users/users.js';

export interface ContactsContext {
  db: Db;
  actor: Actor;
  /** Region for numbers written without a country code (CTI_DEFAULT_REGION). */
  region: string;
  /** Calls started this recently get a contact when it is created or its numbers change. */
  rematchWindowMs: number;
  clock?: () => number;
}

/** The actor of the command line (`cti import contacts`): whoever runs it on the server is an admin. */
export const SYSTEM_ACTOR: Actor = Object.freeze({ id: 'system', name: 'system', role: 'admin', pbxId: 'main', extension: null });

export const nowOf = (ctx: ContactsContext): number => (ctx.clock ?? Date.now)();

export const isManager = (actor: Actor): boolean => actor.role === 'manager';

/** A condition on `clients` limiting rows to what the actor may see; undefined when they see all. */
export function visibleClients(actor: Actor): SQL | undefined {
  return isManager(actor) ? eq(clients.ownerId, actor.id) : undefined;
}

/** 403 unless the actor may see (and so change) this client. */
export function assertSeesClient(actor: Actor, client: Pick<ClientRow, 'ownerId'>): void {
  if (isManager(actor) && client.ownerId !== actor.id) {
    throw new CtiError('CTI_ERR_FORBIDDEN', 'This client belongs to another manager');
  }
}

/**
 * How long after a call the manager who answered it still reads its caller's card: the wrap-up window
 * (a pending wrap-up is one of the last PENDING_WRAPUP_DAYS days, src/calls/queries.ts).
 */
export const CALL_GRANT_DAYS = 7;

/**
 * The call grant, as a condition on `calls`: the calls that let manager `userId` read their contact and
 * client although another manager owns them. A call grants while it rings or talks on the manager's
 * phone (live, with the manager on the call or one of its legs: routing sent it there, or they dialled
 * it) and, once it is over, to the manager who answered it for CALL_GRANT_DAYS after it started, so
 * that they can look at the card while they write or correct its wrap-up. A phone that only rang loses
 * the grant when the call ends; the other managers never had it. Reading only: changing the client or
 * the contact, listing them, and the client's other calls and tasks stay the owner's.
 */
export function callGrant(userId: string, now: number): SQL {
  const onLeg = (answered: boolean) => sql`exists (select 1 from ${callLegs} where ${callLegs.callId} = ${calls.id} and ${callLegs.managerId} = ${userId}${
    answered ? sql` and ${callLegs.answeredAt} is not null` : sql``})`;
  return or(
    and(eq(calls.state, 'live'), or(eq(calls.managerId, userId), onLeg(false))),
    and(gte(calls.startedAt, now - CALL_GRANT_DAYS * 86_400_000), or(and(eq(calls.managerId, userId), isNotNull(calls.answeredAt)), onLeg(true))),
  )!;
}

/** Whether a call grants manager `userId` this contact (and its client) or this client. */
export async function grantedByCall(db: Db, userId: string, of: { contactId: string } | { clientId: string }, now: number): Promise<boolean> {
  const which = 'contactId' in of ? eq(calls.contactId, of.contactId) : eq(calls.clientId, of.clientId);
  return (await db.select({ id: calls.id }).from(calls).where(and(which, callGrant(userId, now))).limit(1)).length > 0;
}

/**
 * 403 unless the actor may read this client: theirs (assertSeesClient), or granted by a call
 * (callGrant). Changing it still needs assertSeesClient.
 */
export async function assertReadsClient(ctx: ContactsContext, client: Pick<ClientRow, 'id' | 'ownerId'>): Promise<void> {
  if (!isManager(ctx.actor) || client.ownerId === ctx.actor.id) return;
  if (await grantedByCall(ctx.db, ctx.actor.id, { clientId: client.id }, nowOf(ctx))) return;
  assertSeesClient(ctx.actor, client);
}

/** 403 unless the actor may read this contact: its client is theirs, or a call with it grants it (callGrant). */
export async function assertReadsContact(ctx: ContactsContext, contact: { id: string; ownerId: string | null }): Promise<void> {
  if (!isManager(ctx.actor) || contact.ownerId === ctx.actor.id) return;
  if (await grantedByCall(ctx.db, ctx.actor.id, { contactId: contact.id }, nowOf(ctx))) return;
  assertSeesClient(ctx.actor, contact);
}

/** A manager may own clients, not give them away: 403 for any other owner. */
export function assertMayAssignOwner(actor: Actor, ownerId: string | null): void {
  if (isManager(actor) && ownerId !== actor.id) {
    throw new CtiError('CTI_ERR_FORBIDDEN', 'ownerId: a manager can only own clients themselves');
  }
}

export function assertMayImport(actor: Actor): void {
  if (isManager(actor)) throw new CtiError('CTI_ERR_FORBIDDEN', 'Only supervisors and admins import contacts');
}
