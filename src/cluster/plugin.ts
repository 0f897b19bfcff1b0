// The other instances as a fastify plugin (src/cluster/cluster.ts): who leads, what the leader does
// (each feature adds its duties with app.cluster.onLead), and the notices between instances. One
// process leads from onReady on.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { Cluster } from './cluster.js';

declare module 'fastify' {
  interface FastifyInstance {
    cluster: Cluster;
  }
}

export const clusterPlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger; onLeadershipLost?: () => void }) => {
  const { config, log } = o;
  const cluster = new Cluster({
    url: config.CTI_CLUSTER ? config.CTI_DATABASE_URL ?? null : null,
    lockKey: config.CTI_ARI_APP, log: log.child({ feature: 'cluster' }), leaseMs: config.CTI_CLUSTER_LEASE_MS,
  });
  app.decorate('cluster', cluster);
  cluster.leadership.on('lost', (reason) => {
    // Another instance may lead already: not one more PBX event from here. A supervisor (systemd, the
    // orchestrator) starts the process again, and it rejoins as a follower.
    log.fatal({ reason }, 'leadership lost: exiting so that exactly one instance leads');
    (o.onLeadershipLost ?? (() => process.exit(70)))();
  });
  app.addHook('onReady', async () => cluster.start());
  app.addHook('onClose', async () => cluster.close());
}, { name: 'cluster' });
