// Routing as a fastify plugin: the rules (CTI_ROUTING_FILE, edited through the admin API, written by
// every instance), and the Stasis application that asks the router where each inbound call rings. The
// Stasis application is Asterisk's for whichever instance leads: only the leader connects ARI.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { StasisApp } from '../pbx/stasis.js';
import { factsSource } from './facts.js';
import { Router } from './router.js';
import { registerRoutingRoutes } from './routes.js';
import { RulesStore } from './rules.js';

export const routingPlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger }) => {
  const { config } = o;
  const { cluster } = app;
  const log = o.log.child({ feature: 'routing' });
  // The admin API edits the rules even when the PBX is not connected.
  const rules = new RulesStore(config.CTI_ROUTING_FILE, log);
  rules.watch();
  app.addHook('onClose', async () => rules.stop());
  rules.onReplaced = (r) => cluster.notify('rules-changed', { from: cluster.instanceId, rules: r });
  cluster.on('rules-changed', ({ from, rules: r }) => { if (from !== cluster.instanceId) rules.replace(r, 'another instance'); });
  // One Stasis application per PBX, on that PBX's own ARI: a request names its PBX by the connection it
  // came on, never by anything from the trunk.
  const facts = factsSource(app.db);
  for (const p of app.pbxes) {
    const ari = p.link.ari;
    if (!ari) continue;
    const plog = app.pbxes.length > 1 ? log.child({ pbxId: p.id }) : log;
    const stasis = new StasisApp(ari, p.settings?.ari?.app ?? config.CTI_ARI_APP, plog);
    const router = new Router({ pbxId: p.id, rules, facts, region: config.CTI_DEFAULT_REGION, log: plog, faultDelayMs: config.CTI_FAULT_ROUTING_DELAY_MS });
    stasis.onRoute((req) => router.route(req));
  }
  registerRoutingRoutes(app, { db: app.db, rules, pbxIds: app.pbxList.map((p) => p.id) });
}, { name: 'routing', dependencies: ['db', 'cluster', 'pbx'] });
