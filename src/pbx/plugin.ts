// The PBX links as a fastify plugin: one per PBX of the deployment (src/pbx/pbxes.ts), real ones (AMI +
// ARI, from the configuration), fakes that a test feeds (BuildOptions.pbx / pbxes), or none (API only).
// Every instance builds them; only the leader connects them (src/cluster), after the features have
// replayed what each Asterisk logged meanwhile.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import { Pbx, type PbxLink } from './pbx.js';
import { MAIN_PBX } from './pbx-id.js';
import type { PbxSettings, PbxSummary } from './pbxes.js';

/** One PBX the deployment is attached to: its settings (null for a test's fake of a PBX not configured) and its link. */
export interface AttachedPbx {
  id: string;
  name: string;
  settings: PbxSettings | null;
  link: PbxLink;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The PBX `main`'s link; null: none (API-only tests). */
    pbx: PbxLink | null;
    /** Every attached PBX, main first, in the configured order. */
    pbxes: readonly AttachedPbx[];
    /** Every configured PBX's id and name (shown by pages; the API's `pbx` filter takes the ids), attached or not. */
    pbxList: readonly PbxSummary[];
    /** Every configured PBX's settings (src/pbx/pbxes.ts), main first. */
    pbxSettings: readonly PbxSettings[];
  }
}

export type PbxOption = PbxLink | null | 'connect' | ReadonlyMap<string, PbxLink>;

export const pbxPlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger; pbx: PbxOption; settings: readonly PbxSettings[] }) => {
  const { config, settings } = o;
  const byId = new Map(settings.map((s) => [s.id, s]));
  const attached: AttachedPbx[] = [];
  if (o.pbx === 'connect') {
    for (const s of settings) {
      const log = settings.length > 1 ? o.log.child({ pbxId: s.id }) : o.log;
      attached.push({
        id: s.id, name: s.name, settings: s,
        link: new Pbx({
          ami: { ...s.ami, actionTimeoutMs: config.CTI_ACTION_TIMEOUT_MS },
          ari: s.ari, originateContext: s.originateContext,
        }, log),
      });
      if (!s.ari) log.info({ pbxId: s.id }, 'no ARI user: observing this PBX only, no routing and no browser phones');
    }
  } else if (o.pbx instanceof Map) {
    for (const [id, link] of o.pbx) attached.push({ id, name: byId.get(id)?.name ?? id, settings: byId.get(id) ?? null, link });
  } else if (o.pbx) {
    attached.push({ id: MAIN_PBX, name: byId.get(MAIN_PBX)!.name, settings: byId.get(MAIN_PBX)!, link: o.pbx as PbxLink });
  }
  app.decorate('pbxes', attached);
  app.decorate('pbx', attached.find((p) => p.id === MAIN_PBX)?.link ?? null);
  app.decorate('pbxList', settings.map((s) => ({ id: s.id, name: s.name })));
  app.decorate('pbxSettings', settings);
  for (const p of attached) {
    app.cluster.onLead(`pbx ${p.id}`, 'connect', () => p.link.start());
    // No more events before any feature writes what it holds (preClose runs before every onClose).
    app.addHook('preClose', async () => p.link.stop());
  }
  app.get('/api/v1/pbxes', {
    schema: {
      tags: ['pbx'], summary: 'The PBXs of this deployment: the ids the calls, reports and live board filter by (pbx=...), and their names',
      response: { 200: { type: 'array', items: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } } } },
    },
  }, async () => app.pbxList);
}, { name: 'pbx', dependencies: ['cluster'] });
