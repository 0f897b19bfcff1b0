// REST API for wrap-ups, outcomes and tasks (docs/design/browser-contract.md, "Calls, tasks, wrap-up").
// Every change is announced to the people it concerns over socket.io (task:created, task:updated).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TASK_KINDS } from '../contract/enums.js';
import type { Db } from '../db/client.js';
import { actorOf } from '../http/auth.js';
import type { Outcome } from './outcomes.js';
import { listTasks, updateTask, type TaskFilters, type TaskView } from './tasks.js';
import { wrapUpCall, type WrapupInput } from './wrapup.js';

export interface TaskRoutesDeps {
  db: Db;
  outcomes: readonly Outcome[];
  onTaskCreated: (t: TaskView) => void;
  onTaskUpdated: (t: TaskView) => void;
}

const nullableString = { type: ['string', 'null'] } as const;
export const taskSchema = {
  $id: 'Task',
  type: 'object',
  properties: {
    id: { type: 'string' }, kind: { type: 'string', enum: TASK_KINDS }, callId: nullableString, contactId: nullableString,
    clientId: nullableString, number: nullableString, assigneeId: { type: 'string' }, assigneeName: { type: 'string' },
    dueAt: { type: 'string', format: 'date-time' }, doneAt: nullableString, description: nullableString,
    createdAt: { type: 'string', format: 'date-time' }, overdue: { type: 'boolean' },
    // Callbacks: one open task per number and assignee; later missed calls count here.
    missedCount: { type: 'integer', description: 'Callbacks: missed calls from this number the task stands for (0 for other tasks)' },
    lastMissedAt: { ...nullableString, description: 'Callbacks: when the newest of those missed calls ended' },
    clientName: { ...nullableString, description: "The client's name (null: no client)" },
    contactName: { ...nullableString, description: "The contact's name (null: no contact)" },
    missedAt: { ...nullableString, description: 'Callbacks: when the missed call the task was made for rang' },
  },
} as const;

export function registerTaskRoutes(app: FastifyInstance, deps: TaskRoutesDeps): void {
  const ctx = (req: FastifyRequest) => ({ db: deps.db, actor: actorOf(req) });
  app.addSchema(taskSchema);

  app.get('/api/v1/wrapup/outcomes', {
    schema: {
      tags: ['wrap-up'], summary: 'The configured wrap-up outcomes', security: [{ bearer: [] }],
      response: { 200: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, label: { type: 'object', properties: { ru: { type: 'string' }, en: { type: 'string' } } } } } } },
    },
  }, async (req) => {
    actorOf(req);
    return deps.outcomes;
  });

  // POST writes the wrap-up, PUT edits it afterwards (from the calls list or the contact card): one
  // upsert with one access rule (the manager who answered, supervisors, admins), so either may come first.
  for (const method of ['POST', 'PUT'] as const) app.route<{ Params: { id: string }; Body: WrapupInput }>({
    method, url: '/api/v1/calls/:id/wrapup',
    schema: {
      tags: ['wrap-up'], security: [{ bearer: [] }],
      summary: method === 'POST' ? 'Wrap up a call: description, outcome, optional next step (a callback task)' : 'Edit a call\'s wrap-up (the same body; a next step adds a task)',
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
      body: {
        type: 'object', additionalProperties: false, required: ['description', 'outcome'],
        properties: {
          description: { type: 'string', maxLength: 4000 },
          outcome: { type: 'string', minLength: 1, maxLength: 64 },
          nextStep: {
            anyOf: [{ type: 'null' }, {
              type: 'object', additionalProperties: false, required: ['dueAt'],
              properties: { dueAt: { type: 'string', format: 'date-time' }, description: { type: ['string', 'null'], maxLength: 4000 } },
            }],
          },
        },
      },
    },
    handler: async (req) => {
      const r = await wrapUpCall({ ...ctx(req), outcomes: deps.outcomes }, req.params.id, req.body);
      if (r.task) deps.onTaskCreated(r.task);
      return r;
    },
  });

  app.get<{ Querystring: TaskFilters }>('/api/v1/tasks', {
    schema: {
      tags: ['tasks'], summary: 'Tasks by due time (a manager: their own)', security: [{ bearer: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          assignee: { type: 'string', maxLength: 64, description: '`me` or a user id' },
          state: { type: 'string', enum: ['open', 'done', 'overdue'] },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          cursor: { type: 'string', maxLength: 200 },
        },
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'Task#' } }, nextCursor: nullableString } } },
    },
  }, async (req) => listTasks(ctx(req), req.query));

  app.patch<{ Params: { id: string }; Body: { done?: boolean; dueAt?: string; description?: string | null } }>('/api/v1/tasks/:id', {
    schema: {
      tags: ['tasks'], summary: 'Mark a task done (or not), move it, describe it', security: [{ bearer: [] }],
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
      body: {
        type: 'object', additionalProperties: false,
        properties: { done: { type: 'boolean' }, dueAt: { type: 'string', format: 'date-time' }, description: { type: ['string', 'null'], maxLength: 4000 } },
      },
      response: { 200: { $ref: 'Task#' } },
    },
  }, async (req) => {
    const t = await updateTask(ctx(req), req.params.id, req.body);
    deps.onTaskUpdated(t);
    return t;
  });
}
