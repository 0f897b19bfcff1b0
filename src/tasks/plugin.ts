// The tasks feature as a fastify plugin: the tasks API, a callback task for every missed call the call
// log stores (src/tasks/tasks.ts createMissedCallTasks), and the overdue poller. The leader runs the
// poller; the sweep follows the call log, which only the leader writes.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import type { Outcome } from './outcomes.js';
import { registerTaskRoutes } from './routes.js';
import { createMissedCallTasks, takeNewlyOverdue } from './tasks.js';

export const tasksPlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger; outcomes: readonly Outcome[]; overdueCheckMs: number }) => {
  const { db, realtime } = app;
  app.callsEnded.add(async (callIds) => {
    const r = await createMissedCallTasks(db, { dueMinutes: o.config.CTI_CALLBACK_DUE_MINUTES, callIds });
    for (const t of r.created) realtime.taskCreated(t);
    for (const t of r.updated) realtime.taskUpdated(t);
  });
  // One overdue check at a time; shutdown waits for the one running before the database closes.
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  app.cluster.onLead('overdue tasks', 'prepare', () => {
    timer = setInterval(() => {
      if (running) return;
      running = takeNewlyOverdue(db)
        .then((due) => { for (const t of due) realtime.taskOverdue(t); })
        .catch((err: unknown) => o.log.error({ err }, 'overdue task check failed'))
        .finally(() => { running = null; });
    }, o.overdueCheckMs);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
    await running;
  });
  registerTaskRoutes(app, {
    db, outcomes: o.outcomes, onTaskCreated: (t) => realtime.taskCreated(t), onTaskUpdated: (t) => realtime.taskUpdated(t),
  });
}, { name: 'tasks', dependencies: ['db', 'cluster', 'realtime', 'calls'] });
