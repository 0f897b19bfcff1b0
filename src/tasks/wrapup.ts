// Wrap-up after a call: a description, an outcome from the configured list, and an optional next step
// (a callback task). Only the manager who answered the call (or a supervisor or admin) wraps it up; a
// second wrap-up replaces the first.
import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first, transaction } from '../db/query.js';
import { callLegs, callWrapups, calls, tasks, users } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import { requireText } from '../lib/text.js';
import type { Actor } from '../users/users.js';
import type { Outcome } from './outcomes.js';
import { insertTask, taskViews, type TaskView } from './tasks.js';

export interface WrapupView {
  description: string;
  outcome: string;
  by: { id: string; name: string } | null;
  at: string;
}

export interface WrapupContext {
  db: Db;
  actor: Actor;
  outcomes: readonly Outcome[];
  clock?: () => number;
}

export interface WrapupInput {
  description: string;
  outcome: string;
  nextStep?: { dueAt: string; description?: string | null } | null;
}

/** The wrap-ups of these calls, by call id (for the calls API). */
export async function wrapupsOf(db: Db, callIds: string[]): Promise<Map<string, WrapupView>> {
  const out = new Map<string, WrapupView>();
  if (!callIds.length) return out;
  const rows = await db.select({ w: callWrapups, name: users.name }).from(callWrapups)
    .leftJoin(users, eq(users.id, callWrapups.byUserId))
    .where(inArray(callWrapups.callId, callIds));
  for (const { w, name } of rows) {
    out.set(w.callId, {
      description: w.description, outcome: w.outcome, at: new Date(w.at).toISOString(),
      by: w.byUserId && name !== null ? { id: w.byUserId, name } : null,
    });
  }
  return out;
}

export async function wrapUpCall(ctx: WrapupContext, callId: string, input: WrapupInput): Promise<{ wrapup: WrapupView; task: TaskView | null }> {
  const call = await first(ctx.db.select().from(calls).where(eq(calls.id, callId)));
  if (!call) throw new CtiError('CTI_ERR_CALL_NOT_FOUND');
  if (ctx.actor.role === 'manager') {
    // Answered by them: the user recorded on the call or its leg (src/users/directory.ts), not whoever
    // has that phone now.
    const me = ctx.actor.id;
    const answeredHere = (call.managerId === me && call.answeredAt !== null)
      || !!(await first(ctx.db.select({ id: callLegs.id }).from(callLegs)
        .where(and(eq(callLegs.callId, callId), eq(callLegs.managerId, me), isNotNull(callLegs.answeredAt))).limit(1)));
    if (!answeredHere) throw new CtiError('CTI_ERR_FORBIDDEN', 'Only the manager who answered this call may wrap it up');
  }
  if (!ctx.outcomes.some((o) => o.id === input.outcome)) {
    throw new CtiError('CTI_ERR_BAD_REQUEST', `outcome: '${input.outcome.slice(0, 64)}' is not one of the configured outcomes`);
  }
  // Notes keep their line breaks; hidden characters are refused (src/lib/text.ts).
  const description = requireText('description', input.description, 'note');
  const nextDescription = input.nextStep?.description == null ? null : requireText('nextStep/description', input.nextStep.description, 'note');
  const now = (ctx.clock ?? Date.now)();
  let dueAt: number | null = null;
  if (input.nextStep) {
    dueAt = Date.parse(input.nextStep.dueAt);
    if (!Number.isFinite(dueAt)) throw new CtiError('CTI_ERR_BAD_REQUEST', 'nextStep/dueAt: not an ISO 8601 date-time');
  }
  // The next step is the call's manager's (a supervisor wrapping up assigns it to them), else the actor's.
  const manager = call.managerId ? await first(ctx.db.select({ id: users.id }).from(users).where(eq(users.id, call.managerId))) : undefined;
  let taskId: string | null = null;
  await transaction(ctx.db, async (tx) => {
    const row = { callId, description, outcome: input.outcome, byUserId: ctx.actor.id, at: now };
    await tx.insert(callWrapups).values(row).onConflictDoUpdate({ target: callWrapups.callId, set: row });
    if (input.nextStep && dueAt !== null) {
      const t = await insertTask(tx, {
        kind: 'callback', callId, contactId: call.contactId, clientId: call.clientId, number: call.externalNumber,
        assigneeId: ctx.actor.role === 'manager' ? ctx.actor.id : manager?.id ?? ctx.actor.id,
        dueAt, description: nextDescription ?? description,
      }, now);
      taskId = t?.id ?? null;
    }
  });
  const wrapup = (await wrapupsOf(ctx.db, [callId])).get(callId)!;
  let task: TaskView | null = null;
  const taskRow = taskId ? await first(ctx.db.select().from(tasks).where(eq(tasks.id, taskId))) : undefined;
  if (taskRow) task = (await taskViews(ctx.db, [taskRow], now))[0] ?? null;
  return { wrapup, task };
}
