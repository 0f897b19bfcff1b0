// Browser phones as a fastify plugin: their credentials API, and their endpoints in each PBX's memory
// (a user's browser phone is on the PBX their extension is), pushed by the leader after every ARI
// (re)connect and whenever a user changes (on any instance).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { parseEndpointOptions, SoftphoneEndpoints } from '../pbx/softphone-endpoints.js';
import { softphoneSettingsByPbx } from './credentials.js';
import { SoftphoneProvisioning } from './provisioning.js';
import { registerSoftphoneRoutes } from './routes.js';

export const softphonePlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger }) => {
  const { config } = o;
  const settings = softphoneSettingsByPbx(config, app.pbxSettings);
  for (const p of app.pbxes) {
    const ari = p.link.ari;
    // A test's fake has no settings: main's ARI user, as before.
    const ariUser = p.settings?.ari ?? (config.CTI_ARI_USER && config.CTI_ARI_PASSWORD ? { url: config.CTI_ARI_URL, user: config.CTI_ARI_USER, password: config.CTI_ARI_PASSWORD } : null);
    if (!ari || !ariUser) continue;
    const log = o.log.child({ feature: 'softphone', ...(app.pbxes.length > 1 ? { pbxId: p.id } : {}) });
    const prov = new SoftphoneProvisioning({
      db: app.db, pbxId: p.id, secret: settings.get(p.id)?.secret ?? null, log,
      endpoints: new SoftphoneEndpoints({ ariUrl: ariUser.url, user: ariUser.user, password: ariUser.password, endpointOptions: parseEndpointOptions(config.CTI_SOFTPHONE_ENDPOINT) }, log),
    });
    ari.on('ready', () => void prov.sync());
    app.cluster.on('user-changed', ({ before, after }) => { if (app.cluster.isLeader) prov.userChanged(before, after); });
  }
  registerSoftphoneRoutes(app, { db: app.db, settings });
}, { name: 'softphone', dependencies: ['db', 'cluster', 'pbx'] });
