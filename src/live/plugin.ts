// The supervisors' live board as a fastify plugin (src/live/live.ts): device states and the call
// tracker make the board; the leader pushes its deltas (only the leader: one sequence of deltas for
// every browser), and any instance serves its snapshot by asking the leader.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { LiveService } from './live.js';
import { CtiError } from '../lib/errors.js';
import { MAIN_PBX } from '../pbx/pbx-id.js';
import { registerLiveRoutes } from './routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's board of PBX main; its deltas go out only while it leads. */
    live: LiveService;
    /** Every PBX's board, by PBX id (one board per PBX). */
    boards: ReadonlyMap<string, LiveService>;
  }
}

export const livePlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger }) => {
  const { config } = o;
  const { cluster } = app;
  const phonePattern = new RegExp(config.CTI_EXTENSION_PATTERN);
  // A board per configured PBX: its phones, its calls, its queues, its counters.
  const boards = new Map<string, LiveService>();
  for (const { id } of app.pbxList) {
    const live = new LiveService({
      db: app.db, pbxId: id, log: o.log.child({ feature: 'live', ...(app.pbxList.length > 1 ? { pbxId: id } : {}) }),
      timeZone: config.CTI_TIMEZONE, isExtension: (r) => phonePattern.test(r),
    });
    const tracker = app.callLogs.get(id)?.tracker;
    if (tracker) live.attachTracker(tracker);
    const link = app.pbxes.find((p) => p.id === id)?.link;
    if (link) live.attachPbx(link);
    app.callsEnded.add(() => live.callsEnded());
    cluster.on('user-changed', () => live.usersChanged());
    cluster.onLead(`live board ${id}`, 'prepare', () => live.publishTo(app.realtime));
    app.addHook('onClose', async () => live.stop());
    boards.set(id, live);
  }
  const boardOf = (pbx: string | undefined) => {
    const b = boards.get(pbx ?? MAIN_PBX);
    if (!b) throw new CtiError('CTI_ERR_BAD_REQUEST', `pbx: no PBX '${String(pbx).slice(0, 40)}' here (${[...boards.keys()].join(', ')})`);
    return b;
  };
  cluster.handle('live-snapshot', ({ pbx }) => boardOf(pbx).snapshot());
  app.decorate('live', boards.get(MAIN_PBX)!);
  app.decorate('boards', boards);
  registerLiveRoutes(app, {
    snapshot: (pbx) => {
      boardOf(pbx); // an unknown PBX is the asker's mistake, told here, not by the leader
      return cluster.ask('live-snapshot', pbx === undefined ? {} : { pbx });
    },
  });
}, { name: 'live', dependencies: ['db', 'cluster', 'realtime', 'pbx', 'calls'] });
