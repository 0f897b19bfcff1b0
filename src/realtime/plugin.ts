// Realtime as a fastify plugin: socket.io on the service's HTTP server (src/realtime/hub.ts), joined to
// the other instances' (src/cluster), following logouts and revocations made on any of them.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { publicUrl, type ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { UserAccess } from '../users/access.js';
import { RealtimeHub } from './hub.js';

declare module 'fastify' {
  interface FastifyInstance {
    realtime: RealtimeHub;
    /** Where the users feature says that a session ended or a user's rights changed (src/users/access.ts). */
    access: UserAccess;
  }
}

export const realtimePlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger }) => {
  const cluster = app.cluster;
  const realtime = new RealtimeHub(app.server, { db: app.db, log: o.log.child({ feature: 'realtime' }), publicUrl: publicUrl(o.config), clustered: cluster.clustered });
  app.decorate('realtime', realtime);
  cluster.attach(realtime.io);
  // Logouts and changes to users end the sockets they must, on every instance.
  const access = new UserAccess();
  const everywhere = new UserAccess();
  access.on('sessionEnded', (e) => cluster.notify('session-ended', e));
  access.on('userChanged', (e) => cluster.notify('access-changed', e));
  cluster.on('session-ended', (e) => everywhere.sessionEnded(e.userId, e.sessionHash));
  cluster.on('access-changed', (e) => everywhere.userChanged(e.userId, e.changes));
  realtime.follow(everywhere);
  app.decorate('access', access);
  app.addHook('preClose', async () => realtime.close());
}, { name: 'realtime', dependencies: ['db', 'cluster'] });
