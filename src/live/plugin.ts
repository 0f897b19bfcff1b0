// The supervisors' live board as a fastify plugin (src/live/live.ts): device states and the call
// tracker make the board; the leader pushes its deltas (only the leader: one sequence of deltas for
// every browser), and any instance serves its snapshot by asking the leader.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { LiveService } from './live.js';
import { registerLiveRoutes } from './routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's board; its deltas go out only while it leads. */
    live: LiveService;
  }
}

export const livePlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger }) => {
  const { config } = o;
  const { cluster } = app;
  const phonePattern = new RegExp(config.CTI_EXTENSION_PATTERN);
  const live = new LiveService({ db: app.db, log: o.log.child({ feature: 'live' }), timeZone: config.CTI_TIMEZONE, isExtension: (r) => phonePattern.test(r) });
  if (app.callLog) live.attachTracker(app.callLog.tracker);
  if (app.pbx) live.attachPbx(app.pbx);
  app.callsEnded.add(() => live.callsEnded());
  cluster.on('user-changed', () => live.usersChanged());
  cluster.onLead('live board', 'prepare', () => live.publishTo(app.realtime));
  cluster.handle('live-snapshot', () => live.snapshot());
  app.decorate('live', live);
  app.addHook('onClose', async () => live.stop());
  registerLiveRoutes(app, { snapshot: () => cluster.ask('live-snapshot', {}) });
}, { name: 'live', dependencies: ['db', 'cluster', 'realtime', 'pbx', 'calls'] });
