// What every contacts domain function gets (fn(ctx, input)), and the access rules they check first:
// a manager sees and changes only the clients they own (clients.owner_id = their user id) and those
// clients' contacts; supervisors and admins see and change all. Imports are for supervisors and admins.
import { eq, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { clients, type ClientRow } from '../db/schema/index.js';
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
export const SYSTEM_ACTOR: Actor = Object.freeze({ id: 'system', name: 'system', role: 'admin', extension: null });

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

/** A manager may own clients, not give them away: 403 for any other owner. */
export function assertMayAssignOwner(actor: Actor, ownerId: string | null): void {
  if (isManager(actor) && ownerId !== actor.id) {
    throw new CtiError('CTI_ERR_FORBIDDEN', 'ownerId: a manager can only own clients themselves');
  }
}

export function assertMayImport(actor: Actor): void {
  if (isManager(actor)) throw new CtiError('CTI_ERR_FORBIDDEN', 'Only supervisors and admins import contacts');
}
