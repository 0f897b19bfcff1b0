// Browser phones as a fastify plugin: their credentials API, and their endpoints in Asterisk's memory,
// pushed by the leader after every ARI (re)connect and whenever a user changes (on any instance).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { ariUserOf } from '../pbx/plugin.js';
import { parseEndpointOptions, SoftphoneEndpoints } from '../pbx/softphone-endpoints.js';
import { softphoneSettings } from './credentials.js';
import { SoftphoneProvisioning } from './provisioning.js';
import { registerSoftphoneRoutes } from './routes.js';

export const softphonePlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger }) => {
  const { config } = o;
  const settings = softphoneSettings(config);
  const ari = app.pbx?.ari;
  const ariUser = ariUserOf(config);
  if (ari && ariUser) {
    const log = o.log.child({ feature: 'softphone' });
    const prov = new SoftphoneProvisioning({
      db: app.db, secret: settings.secret, log,
      endpoints: new SoftphoneEndpoints({ ariUrl: config.CTI_ARI_URL, ...ariUser, endpointOptions: parseEndpointOptions(config.CTI_SOFTPHONE_ENDPOINT) }, log),
    });
    ari.on('ready', () => void prov.sync());
    app.cluster.on('user-changed', ({ before, after }) => { if (app.cluster.isLeader) prov.userChanged(before, after); });
  }
  registerSoftphoneRoutes(app, { db: app.db, settings });
}, { name: 'softphone', dependencies: ['db', 'cluster', 'pbx'] });
