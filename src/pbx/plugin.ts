// The PBX link as a fastify plugin: the real one (AMI + ARI, from the configuration), a fake that a
// test feeds (BuildOptions.pbx), or none (API only). Every instance builds it; only the leader
// connects it (src/cluster), after the features have replayed what Asterisk logged meanwhile.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { Pbx, type PbxLink } from './pbx.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** null: no PBX at all (API-only tests). */
    pbx: PbxLink | null;
  }
}

/** The ARI user, when both halves are configured: routing and browser phones need it. */
export function ariUserOf(config: ServiceConfig): { user: string; password: string } | null {
  return config.CTI_ARI_USER && config.CTI_ARI_PASSWORD ? { user: config.CTI_ARI_USER, password: config.CTI_ARI_PASSWORD } : null;
}

export const pbxPlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger; pbx: PbxLink | null | 'connect' }) => {
  const { config } = o;
  let pbx: PbxLink | null = null;
  if (o.pbx === 'connect') {
    const ariUser = ariUserOf(config);
    pbx = new Pbx({
      ami: { host: config.CTI_AMI_HOST, port: config.CTI_AMI_PORT, user: config.CTI_AMI_USER, secret: config.CTI_AMI_SECRET, actionTimeoutMs: config.CTI_ACTION_TIMEOUT_MS },
      ari: ariUser ? { url: config.CTI_ARI_URL, ...ariUser, app: config.CTI_ARI_APP } : null,
      originateContext: config.CTI_ORIGINATE_CONTEXT,
    }, o.log);
    if (!ariUser) o.log.info('no ARI user (CTI_ARI_USER, CTI_ARI_PASSWORD): observing the PBX only, no routing and no browser phones');
  } else {
    pbx = o.pbx;
  }
  app.decorate('pbx', pbx);
  if (!pbx) return;
  const p = pbx;
  app.cluster.onLead('pbx', 'connect', () => p.start());
  // No more events before any feature writes what it holds (preClose runs before every onClose).
  app.addHook('preClose', async () => p.stop());
}, { name: 'pbx', dependencies: ['cluster'] });
