// Tasks: callbacks and follow-ups with a due time. Access rules first in every function: a manager sees
// and changes only tasks assigned to them; supervisors and admins see and change all.
// Missed inbound calls get a callback task (createMissedCallTasks, idempotent through the unique
// tasks.missed_call_id), whether the call was watched live or rebuilt from the CDR. While a callback for
// the same number and assignee is open, a further missed call does not make another: it counts on the
// open one (missedCount, lastMissedAt) and brings its due time forward if its own would be sooner.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, gte, inArray, isNotNull, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { prepareNamed } from '../db/contacts.js';
import { first, rowsAffected, transaction } from '../db/query.js';
import { calls, clients, contacts, tasks, users, type TaskRow } from '../db/schema/index.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { CtiError } from '../lib/errors.js';
import { requireText } from '../lib/text.js';
import type { Actor } from '../users/users.js';
import type { TaskKind } from '../contract/enums.js';
import type { TaskView } from '../contract/tasks.js';

/** A task as the API and the socket send it: the browser's contract (src/contract/tasks.ts). */
export type { TaskView };

/** What a task view shows beside its row: names and the missed call's time. */
export interface TaskNames {
  assigneeName: string;
  clientName?: string | null;
  contactName?: string | null;
  missedAt?: number | null;
}

export interface TasksContext {
  db: Db;
  actor: Actor;
  clock?: () => number;
}

const nowOf = (ctx: { clock?: () => number }) => (ctx.clock ?? Date.now)();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const isManager = (a: Actor) => a.role === 'manager';

export function taskView(row: TaskRow, assignee: TaskNames | string, now: number): TaskView {
  const names = typeof assignee === 'string' ? { assigneeName: assignee } : assignee;
  return {
    id: row.id, kind: row.kind, callId: row.callId, contactId: row.contactId, clientId: row.clientId, number: row.number,
    assigneeId: row.assigneeId, assigneeName: names.assigneeName, dueAt: new Date(row.dueAt).toISOString(), doneAt: iso(row.doneAt),
    description: row.description, createdAt: new Date(row.createdAt).toISOString(),
    overdue: row.doneAt === null && row.dueAt <= now,
    missedCount: row.missedCount, lastMissedAt: iso(row.lastMissedAt),
    clientName: names.clientName ?? null, contactName: names.contactName ?? null,
    missedAt: row.missedCallId ? iso(names.missedAt ?? row.lastMissedAt) : null,
  };
}

/** Task rows with the names of their assignees, clients and contacts, and their missed call's time, as views. */
export async function taskViews(db: Db, rows: TaskRow[], now: number): Promise<TaskView[]> {
  if (!rows.length) return [];
  const ids = (pick: (r: TaskRow) => string | null) => [...new Set(rows.map(pick).filter((x): x is string => x !== null))];
  const byId = <T>(list: { id: string; v: T }[]) => new Map(list.map((x) => [x.id, x.v]));
  const people = byId(await db.select({ id: users.id, v: users.name }).from(users).where(inArray(users.id, ids((r) => r.assigneeId))));
  const clientIds = ids((r) => r.clientId);
  const contactIds = ids((r) => r.contactId);
  const callIds = ids((r) => r.missedCallId);
  const clientNames = clientIds.length ? byId(await db.select({ id: clients.id, v: clients.name }).from(clients).where(inArray(clients.id, clientIds))) : new Map<string, string>();
  const contactNames = contactIds.length ? byId(await db.select({ id: contacts.id, v: contacts.name }).from(contacts).where(inArray(contacts.id, contactIds))) : new Map<string, string>();
  const rang = callIds.length ? byId(await db.select({ id: calls.id, v: calls.startedAt }).from(calls).where(inArray(calls.id, callIds))) : new Map<string, number>();
  return rows.map((r) => taskView(r, {
    assigneeName: people.get(r.assigneeId) ?? '',
    clientName: r.clientId ? clientNames.get(r.clientId) ?? null : null,
    contactName: r.contactId ? contactNames.get(r.contactId) ?? null : null,
    missedAt: r.missedCallId ? rang.get(r.missedCallId) ?? null : null,
  }, now));
}

function assertSeesTask(actor: Actor, row: TaskRow): void {
  if (isManager(actor) && row.assigneeId !== actor.id) throw new CtiError('CTI_ERR_FORBIDDEN', 'This task belongs to another manager');
}

export interface TaskFilters {
  assignee?: string;
  state?: 'open' | 'done' | 'overdue';
  limit?: number;
  cursor?: string;
}

/** Tasks by due time, soonest first. A manager lists only their own (`assignee` of another: 403). */
export async function listTasks(ctx: TasksContext, f: TaskFilters): Promise<{ items: TaskView[]; nextCursor: string | null }> {
  const now = nowOf(ctx);
  let assignee: string | undefined = f.assignee === 'me' ? ctx.actor.id : f.assignee;
  if (isManager(ctx.actor)) {
    if (assignee && assignee !== ctx.actor.id) throw new CtiError('CTI_ERR_FORBIDDEN', "assignee: a manager sees only their own tasks");
    assignee = ctx.actor.id;
  }
  const limit = f.limit ?? 50;
  const conds: (SQL | undefined)[] = [];
  if (assignee) conds.push(eq(tasks.assigneeId, assignee));
  if (f.state === 'open') conds.push(isNull(tasks.doneAt));
  if (f.state === 'done') conds.push(isNotNull(tasks.doneAt));
  if (f.state === 'overdue') conds.push(isNull(tasks.doneAt), lte(tasks.dueAt, now));
  if (f.cursor) {
    const [dueAt, id] = decodeCursor(f.cursor, ['n', 's']) as [number, string];
    conds.push(or(gt(tasks.dueAt, dueAt), and(eq(tasks.dueAt, dueAt), gt(tasks.id, id))));
  }
  const rows = await ctx.db.select().from(tasks).where(and(...conds)).orderBy(asc(tasks.dueAt), asc(tasks.id)).limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: await taskViews(ctx.db, page, now), nextCursor: rows.length > limit && last ? encodeCursor([last.dueAt, last.id]) : null };
}

export async function getTask(ctx: TasksContext, id: string): Promise<TaskView> {
  const row = await first(ctx.db.select().from(tasks).where(eq(tasks.id, id)));
  if (!row) throw new CtiError('CTI_ERR_TASK_NOT_FOUND');
  assertSeesTask(ctx.actor, row);
  return (await taskViews(ctx.db, [row], nowOf(ctx)))[0]!;
}

function parseDue(s: string, name = 'dueAt'): number {
  const t = Date.parse(s);
  if (!Number.isFinite(t)) throw new CtiError('CTI_ERR_BAD_REQUEST', `${name}: not an ISO 8601 date-time`);
  return t;
}

export async function updateTask(ctx: TasksContext, id: string, input: { done?: boolean; dueAt?: string; description?: string | null }): Promise<TaskView> {
  const row = await first(ctx.db.select().from(tasks).where(eq(tasks.id, id)));
  if (!row) throw new CtiError('CTI_ERR_TASK_NOT_FOUND');
  assertSeesTask(ctx.actor, row);
  const now = nowOf(ctx);
  const set: Partial<TaskRow> = { updatedAt: now };
  if (input.done !== undefined) set.doneAt = input.done ? (row.doneAt ?? now) : null;
  if (input.dueAt !== undefined) {
    set.dueAt = parseDue(input.dueAt);
    // A new due time can become overdue again (once).
    if (set.dueAt !== row.dueAt) set.overdueNotifiedAt = null;
  }
  if (input.description !== undefined) set.description = input.description === null ? null : requireText('description', input.description, 'note');
  await ctx.db.update(tasks).set(set).where(eq(tasks.id, id));
  return getTask(ctx, id);
}

export interface NewTask {
  kind: TaskKind;
  callId?: string | null;
  contactId?: string | null;
  clientId?: string | null;
  number?: string | null;
  assigneeId: string;
  dueAt: number;
  description?: string | null;
}

/** Inserts a task (no access check: callers are domain functions that checked already). */
export async function insertTask(db: Db, t: NewTask & { missedCallId?: string | null; lastMissedAt?: number | null }, now: number): Promise<TaskRow | null> {
  const row: TaskRow = {
    id: randomUUID(), kind: t.kind, callId: t.callId ?? null, missedCallId: t.missedCallId ?? null,
    contactId: t.contactId ?? null, clientId: t.clientId ?? null, number: t.number ?? null, assigneeId: t.assigneeId,
    dueAt: t.dueAt, doneAt: null, description: t.description ?? null, overdueNotifiedAt: null, createdAt: now, updatedAt: now,
    missedCount: t.missedCallId ? 1 : 0, lastMissedAt: t.missedCallId ? (t.lastMissedAt ?? null) : null,
  };
  return rowsAffected(await db.insert(tasks).values(row).onConflictDoNothing()) ? row : null;
}

/** How far back missed calls are looked for (a service down for days still creates their callbacks). */
const MISSED_LOOKBACK_MS = 7 * 24 * 3600_000;

/**
 * A callback task for each missed inbound call (no_answer or busy) not yet handled, for the client's
 * owner, else the user whose phone rang last (the call's manager, recorded as it was written); due `dueMinutes` after the call ended. When that
 * assignee already has an open callback for the number, the call counts on it instead (missedCount + 1,
 * lastMissedAt; due time brought forward when the new one would be sooner, never pushed back).
 * Idempotent: a call that ended at or before a callback's lastMissedAt for its number and assignee is
 * already counted (calls are taken oldest first). Returns the tasks created and the tasks updated.
 */
export async function createMissedCallTasks(db: Db, opts: { dueMinutes: number; now?: number; callIds?: string[] | null }): Promise<{ created: TaskView[]; updated: TaskView[] }> {
  const now = opts.now ?? Date.now();
  // Calls the tracker just ended: look at those only (the live path runs this after every write).
  const scope = opts.callIds ? inArray(calls.id, opts.callIds) : gte(calls.startedAt, now - MISSED_LOOKBACK_MS);
  const missed = (q: Db) => q
    .select({
      id: calls.id, endedAt: calls.endedAt, startedAt: calls.startedAt, managerId: users.id, externalNumber: calls.externalNumber,
      contactId: calls.contactId, clientId: calls.clientId, ownerId: clients.ownerId,
    })
    .from(calls)
    .leftJoin(tasks, eq(tasks.missedCallId, calls.id))
    .leftJoin(clients, eq(clients.id, calls.clientId))
    // The user on the phone when the call was missed (src/users/directory.ts), if they still exist.
    .leftJoin(users, eq(users.id, calls.managerId))
    .where(and(
      scope,
      eq(calls.direction, 'inbound'), eq(calls.state, 'ended'), inArray(calls.disposition, ['no_answer', 'busy']),
      isNull(tasks.id),
    ))
    .orderBy(asc(sql`coalesce(${calls.endedAt}, ${calls.startedAt})`), asc(calls.id));
  // Most ended calls were not missed: nothing to lock for.
  if (!(await missed(db)).length) return { created: [], updated: [] };
  const created: TaskRow[] = [];
  const updated = new Map<string, TaskRow>();
  const sameCaller = (number: string, assigneeId: string) => and(eq(tasks.kind, 'callback'), eq(tasks.number, number), eq(tasks.assigneeId, assigneeId));
  await transaction(db, async (tx) => {
    // Read again inside: a sweep that ran meanwhile has handled some (each call is counted once).
    for (const c of await missed(tx)) {
      const assigneeId = c.ownerId ?? c.managerId;
      if (!assigneeId) continue;
      const endedAt = c.endedAt ?? c.startedAt;
      const dueAt = endedAt + opts.dueMinutes * 60_000;
      if (c.externalNumber) {
        const counted = await first(tx.select({ id: tasks.id }).from(tasks)
          .where(and(sameCaller(c.externalNumber, assigneeId), gte(tasks.lastMissedAt, endedAt))).limit(1));
        if (counted) continue;
        const open = await first(tx.select().from(tasks)
          .where(and(sameCaller(c.externalNumber, assigneeId), isNull(tasks.doneAt)))
          .orderBy(asc(tasks.dueAt), asc(tasks.id)).limit(1));
        if (open) {
          const set: Partial<TaskRow> = { missedCount: open.missedCount + 1, lastMissedAt: endedAt, updatedAt: now };
          if (dueAt < open.dueAt) Object.assign(set, { dueAt, overdueNotifiedAt: null });
          await tx.update(tasks).set(set).where(eq(tasks.id, open.id));
          updated.set(open.id, { ...open, ...set });
          continue;
        }
      }
      const row = await insertTask(tx, {
        kind: 'callback', callId: c.id, missedCallId: c.id, contactId: c.contactId, clientId: c.clientId, number: c.externalNumber,
        assigneeId, dueAt, lastMissedAt: endedAt,
      }, now);
      if (row) created.push(row);
    }
  });
  // A task created and then counted on in the same sweep is announced once, as created (final state).
  const fresh = new Set(created.map((r) => r.id));
  const createdRows = created.map((r) => updated.get(r.id) ?? r);
  return { created: await taskViews(db, createdRows, now), updated: await taskViews(db, [...updated.values()].filter((r) => !fresh.has(r.id)), now) };
}

/** Open tasks past their due time not yet announced: marks them announced and returns them (once each). */
export async function takeNewlyOverdue(db: Db, now = Date.now()): Promise<TaskView[]> {
  const rows = await db.select().from(tasks)
    .where(and(isNull(tasks.doneAt), lte(tasks.dueAt, now), isNull(tasks.overdueNotifiedAt)))
    .orderBy(asc(tasks.dueAt)).limit(1000);
  if (!rows.length) return [];
  // Announced once: a row another instance (or an overlapping check) marked meanwhile is not taken twice.
  const taken = new Set((await db.update(tasks).set({ overdueNotifiedAt: now })
    .where(and(inArray(tasks.id, rows.map((r) => r.id)), isNull(tasks.overdueNotifiedAt)))
    .returning({ id: tasks.id })).map((r) => r.id));
  return taskViews(db, rows.filter((r) => taken.has(r.id)).map((r) => ({ ...r, overdueNotifiedAt: now })), now);
}

// ---- the screen pop's open tasks

/** Up to 5 open tasks about this caller (their contact or number); a manager's own only. */
export async function openTasksFor(db: Db, actor: Actor, contactId: string | null, number: string | null, now: number): Promise<TaskRow[]> {
  if (!contactId && !number) return [];
  void now;
  const q = openTasksQuery(db, !!contactId, !!number, isManager(actor));
  return q.execute({ ...(contactId ? { contactId } : {}), ...(number ? { number } : {}), ...(isManager(actor) ? { assigneeId: actor.id } : {}) });
}

// The pop's (every ringing phone): one prepared statement per shape and database handle (named on
// PostgreSQL), not a query built and planned per call. An absent contact or number is left out, not bound.
const openTasksStatements = new WeakMap<Db, Map<string, ReturnType<typeof buildOpenTasks>>>();
function buildOpenTasks(db: Db, byContact: boolean, byNumber: boolean, own: boolean) {
  const ph = sql.placeholder;
  return prepareNamed(db.select().from(tasks)
    .where(and(
      isNull(tasks.doneAt),
      or(byContact ? eq(tasks.contactId, ph('contactId')) : undefined, byNumber ? eq(tasks.number, ph('number')) : undefined),
      own ? eq(tasks.assigneeId, ph('assigneeId')) : undefined,
    ))
    .orderBy(asc(tasks.dueAt)).limit(5), `open_tasks_for_${byContact ? 'c' : ''}${byNumber ? 'n' : ''}${own ? '_own' : ''}`);
}
function openTasksQuery(db: Db, byContact: boolean, byNumber: boolean, own: boolean) {
  let byShape = openTasksStatements.get(db);
  if (!byShape) openTasksStatements.set(db, (byShape = new Map()));
  const k = `${byContact}${byNumber}${own}`;
  let q = byShape.get(k);
  if (!q) byShape.set(k, (q = buildOpenTasks(db, byContact, byNumber, own)));
  return q;
}
