// The composition root: the service assembled from its features, each a fastify plugin that owns its
// hooks (onClose, and with app.cluster.onLead what it does while this instance leads): db, cluster,
// realtime, pbx, calls, live, tasks, routing, softphone; then the routes of the features that need
// nothing running (users, contacts, reports). src/server.ts reads config, listens and handles signals;
// tests build the app with { connectPbx: false } (or a fake PBX they feed) and use inject().
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import { databaseTarget, type ServiceConfig } from './config/config.js';
import { createLogger, type Logger } from './lib/logger.js';
import { dbPlugin } from './db/plugin.js';
import { clusterPlugin } from './cluster/plugin.js';
import { realtimePlugin } from './realtime/plugin.js';
import { pbxPlugin } from './pbx/plugin.js';
import type { PbxLink } from './pbx/pbx.js';
import { callsPlugin } from './calls/plugin.js';
import { livePlugin } from './live/plugin.js';
import { tasksPlugin } from './tasks/plugin.js';
import { routingPlugin } from './routing/plugin.js';
import { softphonePlugin } from './softphone/plugin.js';
import { softphoneSettingsByPbx } from './softphone/credentials.js';
import { loadPbxes } from './pbx/pbxes.js';
import { registerHttpBasics } from './http/basics.js';
import { registerAuth } from './http/auth.js';
import { registerHealth } from './http/health.js';
import { rememberedCompilers } from './http/schema-compilers.js';
import { registerWebApp } from './http/web-app.js';
import { registerDemoRoutes } from './demo/routes.js';
import { loadKpi } from './reports/kpi.js';
import { registerReportRoutes } from './reports/routes.js';
import { registerContactRoutes } from './contacts/routes.js';
import { loadOutcomes } from './tasks/outcomes.js';
import { LOGIN_WINDOW_MS, LoginLimiter } from './users/login-limiter.js';
import { registerUserRoutes } from './users/routes.js';
import { registerTokenRoutes } from './users/token-routes.js';

export interface BuildOptions {
  logger?: Logger;
  /** false: no AMI/ARI connection (API-only tests); the call log then runs only on a fake `pbx`. */
  connectPbx?: boolean;
  /**
   * With connectPbx false: a fake PBX (tests/support/fake-pbx.ts) whose events a test feeds through
   * the real call log, pops, board and tasks.
   */
  pbx?: PbxLink;
  /** With connectPbx false: fakes for several PBXs, by PBX id (main among them), instead of `pbx`. */
  pbxes?: ReadonlyMap<string, PbxLink>;
  /** How often overdue tasks are looked for (ms). */
  overdueCheckMs?: number;
  /** Several instances: this one may no longer lead (default: exit 70, for a supervisor to restart it). */
  onLeadershipLost?: () => void;
}

export async function buildApp(config: ServiceConfig, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const log = opts.logger ?? createLogger(config.CTI_LOG_LEVEL);
  const app: FastifyInstance = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    // request.ip (the login limiter's client address) reads X-Forwarded-For only from these proxies.
    trustProxy: config.CTI_TRUST_PROXY,
    ajv: { customOptions: { allErrors: false, coerceTypes: true, removeAdditional: false } },
    // Each route's schemas compiled once per process, not once per app (the service tests build hundreds).
    schemaController: { compilersFactory: rememberedCompilers() },
  });
  // Every PBX of the deployment (CTI_PBXS_FILE), validated before anything starts.
  const pbxSettings = loadPbxes(config);
  await registerHttpBasics(app, { publicUrl: config.CTI_PUBLIC_URL, softphoneWsUrl: [...softphoneSettingsByPbx(config, pbxSettings).values()].map((s) => s.wsUrl) });

  const outcomes = loadOutcomes(config.CTI_WRAPUP_OUTCOMES_FILE);
  await app.register(dbPlugin, { target: databaseTarget(config) });
  registerAuth(app, app.db);
  await app.register(clusterPlugin, { config, log, onLeadershipLost: opts.onLeadershipLost });
  await app.register(realtimePlugin, { config, log });
  await app.register(pbxPlugin, { config, log, settings: pbxSettings, pbx: opts.connectPbx === false ? opts.pbxes ?? opts.pbx ?? null : 'connect' });
  await app.register(callsPlugin, { config, log, outcomes });
  await app.register(livePlugin, { config, log });
  await app.register(tasksPlugin, { config, log, outcomes, overdueCheckMs: opts.overdueCheckMs ?? 10_000 });
  await app.register(routingPlugin, { config, log });
  await app.register(softphonePlugin, { config, log });

  if (config.CTI_DEMO) registerDemoRoutes(app);
  const { cluster } = app;
  registerHealth(app, {
    db: app.db, pbxes: () => (cluster.isLeader ? app.pbxes : []),
    liveCalls: () => (cluster.isLeader ? [...app.callLogs.values()].reduce((n, l) => n + l.tracker.liveCount, 0) : 0),
    role: () => (!cluster.clustered ? 'single' : cluster.isLeader ? 'leader' : 'follower'),
  });
  registerUserRoutes(app, {
    db: app.db,
    limiter: new LoginLimiter(app.db, {
      maxPerUser: config.CTI_LOGIN_MAX_FAILURES, maxPerAddress: config.CTI_LOGIN_ADDRESS_MAX_FAILURES, windowMs: LOGIN_WINDOW_MS,
    }),
    sessionTtlMs: config.CTI_SESSION_HOURS * 3600_000, cookieSecure: config.CTI_COOKIE_SECURE,
    access: app.access, region: config.CTI_DEFAULT_REGION, pbxIds: app.pbxList.map((p) => p.id),
    onUserChanged: (before, after) => cluster.notify('user-changed', { before, after }),
  });
  registerTokenRoutes(app, { db: app.db });
  registerReportRoutes(app, { db: app.db, timeZone: config.CTI_TIMEZONE, kpi: loadKpi(config.CTI_KPI_FILE), outcomes });
  registerContactRoutes(app, { db: app.db, log, region: config.CTI_DEFAULT_REGION, rematchDays: config.CTI_CONTACTS_REMATCH_DAYS });

  // --- the web app (web/dist, built separately), with the SPA's routes falling back to index.html
  const webDir = resolve(config.CTI_WEB_DIR);
  if (existsSync(resolve(webDir, 'index.html'))) await registerWebApp(app, webDir);

  return app;
}
