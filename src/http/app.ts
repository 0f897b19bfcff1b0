// The app factory: assembles the service from its parts (db, pbx + call log, http routes). Each part
// registers its own onClose. src/server.ts only reads config, listens and handles signals; tests build
// the app with { connectPbx: false } and use inject().
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyError, type FastifyBaseLogger } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { databaseTarget, publicUrl, type ServiceConfig } from '../config/config.js';
import { openDb, type Db } from '../db/client.js';
import { CtiError, toHttp } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { registerCallRoutes } from '../calls/routes.js';
import { loadKpi } from '../reports/kpi.js';
import { registerReportRoutes } from '../reports/routes.js';
import { registerContactRoutes } from '../contacts/routes.js';
import { RulesStore } from '../routing/rules.js';
import { registerRoutingRoutes } from '../routing/routes.js';
import { registerAuth } from './auth.js';
import { registerHealth } from './health.js';
import { registerDemoRoutes } from '../demo/routes.js';
import { securityHeaders, swaggerUiPolicy } from './security-headers.js';
import { rememberedCompilers } from './schema-compilers.js';
import { registerWebApp } from './web-app.js';
import { RealtimeHub } from '../realtime/hub.js';
import { loadOutcomes } from '../tasks/outcomes.js';
import { registerTaskRoutes } from '../tasks/routes.js';
import { LOGIN_WINDOW_MS, LoginLimiter } from '../users/login-limiter.js';
import { registerUserRoutes } from '../users/routes.js';
import { registerTokenRoutes } from '../users/token-routes.js';
import { UserAccess } from '../users/access.js';
import { registerLiveRoutes } from '../live/routes.js';
import { Cluster } from '../cluster/cluster.js';
import { LeaderDuties } from '../cluster/duties.js';
import type { Pbx } from '../pbx/pbx.js';
import type { CallLog } from '../calls/call-log.js';
import type { LiveService } from '../live/live.js';
import type { Actor } from '../users/users.js';
import { softphoneSettings } from '../softphone/credentials.js';
import { registerSoftphoneRoutes } from '../softphone/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    pbx: Pbx | null;
    callLog: CallLog | null;
    /** The live board's service: this process's (one process), or the leader's own (null elsewhere). */
    live: LiveService | null;
    realtime: RealtimeHub;
  }
}

export interface BuildOptions {
  logger?: Logger;
  /** false: no AMI/ARI connection and no call tracking (API-only tests). */
  connectPbx?: boolean;
  /**
   * With connectPbx false: track calls anyway, from events a test feeds to app.callLog.handle()
   * (recorded AMI traffic through the real tracker, store, pops and tasks).
   */
  trackCalls?: boolean;
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

  // --- security headers on every response, errors and 404s included (src/http/security-headers.ts)
  const softphone = softphoneSettings(config);
  await app.register(helmet, securityHeaders({ publicUrl: config.CTI_PUBLIC_URL, softphoneWsUrl: softphone.wsUrl }));

  // --- db
  const handle = await openDb(databaseTarget(config));
  app.decorate('db', handle.db);
  app.addHook('onClose', async () => handle.close());

  // --- errors: one mapping for every route (see src/lib/errors.ts)
  app.setErrorHandler((err: FastifyError | CtiError, req, reply) => {
    if ('validation' in err && err.validation) {
      const ctx = err.validationContext ?? 'request';
      const first = err.validation[0];
      const param = (first?.instancePath ?? '').replace(/^\//, '') || String((first?.params as { missingProperty?: string; additionalProperty?: string })?.missingProperty ?? (first?.params as { additionalProperty?: string })?.additionalProperty ?? '');
      const message = `${param || ctx}: ${first?.message ?? 'is not valid'}${(first?.params as { additionalProperty?: string })?.additionalProperty ? ' (unknown parameter)' : ''}`;
      return reply.code(400).send({ error: { code: 'CTI_ERR_BAD_REQUEST', message } });
    }
    const { status, body } = toHttp(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });

  // --- OpenAPI at /api/docs
  await app.register(swagger, {
    openapi: {
      info: { title: 'CTI connector API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  // Swagger UI runs under the same policy, but its bundle injects a <style> element: its pages alone
  // get style-src 'unsafe-inline' (scripts stay 'self' only). No call-outs to validator.swagger.io.
  await app.register(swaggerUi, {
    routePrefix: '/api/docs', uiConfig: { validatorUrl: null },
    transformStaticCSP: (csp) => swaggerUiPolicy(csp),
  });

  registerAuth(app, handle.db);

  // --- routing rules (the admin API edits them even when the PBX is not connected)
  const rules = new RulesStore(config.CTI_ROUTING_FILE, log.child({ feature: 'routing' }));
  rules.watch();
  app.addHook('onClose', async () => rules.stop());

  // --- realtime (socket.io on the same HTTP server), and the other instances (src/cluster)
  const cluster = new Cluster({
    url: config.CTI_CLUSTER ? config.CTI_DATABASE_URL ?? null : null,
    lockKey: config.CTI_ARI_APP, log: log.child({ feature: 'cluster' }), leaseMs: config.CTI_CLUSTER_LEASE_MS,
  });
  const realtime = new RealtimeHub(app.server, { db: handle.db, log: log.child({ feature: 'realtime' }), publicUrl: publicUrl(config), clustered: cluster.clustered });
  app.decorate('realtime', realtime);
  cluster.attach(realtime.io);
  // Logouts and changes to users (src/users/access.ts) end the sockets they must, on every instance.
  const access = new UserAccess();
  const everywhere = new UserAccess();
  access.on('sessionEnded', (e) => cluster.notify('session-ended', e));
  access.on('userChanged', (e) => cluster.notify('access-changed', e));
  cluster.on('session-ended', (e) => everywhere.sessionEnded(e.userId, e.sessionHash));
  cluster.on('access-changed', (e) => everywhere.userChanged(e.userId, e.changes));
  realtime.follow(everywhere);
  app.addHook('preClose', async () => realtime.close());
  const outcomes = loadOutcomes(config.CTI_WRAPUP_OUTCOMES_FILE);
  const kpi = loadKpi(config.CTI_KPI_FILE);

  // --- the leader's duties: the PBX, the call log, the live board, the timers (src/cluster/duties.ts).
  // One process leads from onReady on; with several, whichever holds the lock, from the moment it does.
  let duties: LeaderDuties | null = null;
  const newDuties = () => new LeaderDuties({
    config, db: handle.db, log, realtime, rules,
    connectPbx: opts.connectPbx !== false, trackCalls: opts.trackCalls === true, overdueCheckMs: opts.overdueCheckMs ?? 10_000,
  });
  if (!cluster.clustered) duties = newDuties();
  app.decorate('pbx', duties?.pbx ?? null);
  app.decorate('callLog', duties?.callLog ?? null);
  app.decorate('live', duties?.live ?? null);
  cluster.leadership.on('elected', () => {
    const d = duties ??= newDuties();
    app.pbx = d.pbx;
    app.callLog = d.callLog;
    app.live = d.live;
    d.start().catch((err: unknown) => log.error({ err }, 'the leader could not start its duties'));
  });
  cluster.leadership.on('lost', (reason) => {
    // Another instance may lead already: not one more PBX event from here. A supervisor (systemd, the
    // orchestrator) starts the process again, and it rejoins as a follower.
    log.fatal({ reason }, 'leadership lost: exiting so that exactly one instance leads');
    (opts.onLeadershipLost ?? (() => process.exit(70)))();
  });
  app.addHook('onReady', async () => cluster.leadership.start());
  app.addHook('onClose', async () => {
    await duties?.stop();
    await cluster.close();
  });
  cluster.handle('click-to-call', ({ actor, input }) => duties!.clickToCall.start({ db: handle.db, actor, region: config.CTI_DEFAULT_REGION }, input));
  cluster.handle('live-snapshot', () => duties!.live.snapshot());
  cluster.on('user-changed', ({ before, after }) => duties?.userChanged(before, after));
  // Each instance keeps the rules in its own CTI_ROUTING_FILE: an edit through one is written by all.
  rules.onReplaced = (r) => cluster.notify('rules-changed', { from: cluster.instanceId, rules: r });
  cluster.on('rules-changed', ({ from, rules: r }) => { if (from !== cluster.instanceId) rules.replace(r, 'another instance'); });
  const clickToCall = { start: (ctx: { actor: Actor }, input: { number: string; contactId?: string | null }) => cluster.ask('click-to-call', { actor: ctx.actor, input }) };

  // --- routes
  if (config.CTI_DEMO) registerDemoRoutes(app);
  registerHealth(app, {
    db: handle.db, pbx: () => duties?.pbx ?? null, liveCalls: () => duties?.callLog?.tracker.liveCount ?? 0,
    role: () => (!cluster.clustered ? 'single' : cluster.leadership.isLeader ? 'leader' : 'follower'),
  });
  registerUserRoutes(app, {
    db: handle.db,
    limiter: new LoginLimiter(handle.db, {
      maxPerUser: config.CTI_LOGIN_MAX_FAILURES, maxPerAddress: config.CTI_LOGIN_ADDRESS_MAX_FAILURES, windowMs: LOGIN_WINDOW_MS,
    }),
    sessionTtlMs: config.CTI_SESSION_HOURS * 3600_000, cookieSecure: config.CTI_COOKIE_SECURE,
    access, region: config.CTI_DEFAULT_REGION,
    onUserChanged: (before, after) => cluster.notify('user-changed', { before, after }),
  });
  registerTokenRoutes(app, { db: handle.db });
  registerSoftphoneRoutes(app, { db: handle.db, settings: softphone });
  registerCallRoutes(app, { db: handle.db, recordingsDir: config.CTI_RECORDINGS_DIR, pbxRecordingsDir: config.CTI_PBX_RECORDINGS_DIR ?? null, region: config.CTI_DEFAULT_REGION, clickToCall,
    timeZone: config.CTI_TIMEZONE, outcomes, publicUrl: config.CTI_PUBLIC_URL,
  });
  registerReportRoutes(app, { db: handle.db, timeZone: config.CTI_TIMEZONE, kpi, outcomes });
  registerTaskRoutes(app, {
    db: handle.db, outcomes, onTaskCreated: (t) => realtime.taskCreated(t), onTaskUpdated: (t) => realtime.taskUpdated(t),
  });
  registerContactRoutes(app, { db: handle.db, log, region: config.CTI_DEFAULT_REGION, rematchDays: config.CTI_CONTACTS_REMATCH_DAYS });
  registerRoutingRoutes(app, { db: handle.db, rules });
  registerLiveRoutes(app, { snapshot: () => cluster.ask('live-snapshot', {}) });

  // --- the web app (web/dist, built separately), with the SPA's routes falling back to index.html
  const webDir = resolve(config.CTI_WEB_DIR);
  if (existsSync(resolve(webDir, 'index.html'))) await registerWebApp(app, webDir);

  return app;
}
