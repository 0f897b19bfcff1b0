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
import { Pbx } from '../pbx/pbx.js';
import { MobileDirectory } from '../users/mobiles.js';
import { CallLog } from '../calls/call-log.js';
import { registerCallRoutes } from '../calls/routes.js';
import { loadKpi } from '../reports/kpi.js';
import { registerReportRoutes } from '../reports/routes.js';
import { registerContactRoutes } from '../contacts/routes.js';
import { RulesStore } from '../routing/rules.js';
import { Router } from '../routing/router.js';
import { factsSource } from '../routing/facts.js';
import { registerRoutingRoutes } from '../routing/routes.js';
import { StasisApp } from '../pbx/stasis.js';
import { registerAuth } from './auth.js';
import { registerHealth } from './health.js';
import { registerDemoRoutes } from '../demo/routes.js';
import { securityHeaders, swaggerUiPolicy } from './security-headers.js';
import { rememberedCompilers } from './schema-compilers.js';
import { registerWebApp } from './web-app.js';
import { ClickToCall } from '../calls/click-to-call.js';
import { dialPolicyOf } from '../calls/dial-policy.js';
import { RealtimeHub } from '../realtime/hub.js';
import { loadOutcomes } from '../tasks/outcomes.js';
import { registerTaskRoutes } from '../tasks/routes.js';
import { createMissedCallTasks, takeNewlyOverdue } from '../tasks/tasks.js';
import { LOGIN_WINDOW_MS, LoginLimiter } from '../users/login-limiter.js';
import { registerUserRoutes } from '../users/routes.js';
import { registerTokenRoutes } from '../users/token-routes.js';
import { UserAccess } from '../users/access.js';
import { LiveService } from '../live/live.js';
import { registerLiveRoutes } from '../live/routes.js';
import { parseEndpointOptions, SoftphoneEndpoints } from '../pbx/softphone-endpoints.js';
import { celSource } from '../pbx/cel-source.js';
import { RemoteRecordings } from '../pbx/remote-recordings.js';
import { softphoneSettings } from '../softphone/credentials.js';
import { SoftphoneProvisioning } from '../softphone/provisioning.js';
import { registerSoftphoneRoutes } from '../softphone/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    pbx: Pbx | null;
    callLog: CallLog | null;
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

  // --- pbx + call log + routing
  // --- realtime (socket.io on the same HTTP server) and tasks
  const realtime = new RealtimeHub(app.server, { db: handle.db, log: log.child({ feature: 'realtime' }), publicUrl: publicUrl(config) });
  app.decorate('realtime', realtime);
  // Logouts and changes to users (src/users/access.ts) end the sockets they must.
  const access = new UserAccess();
  realtime.follow(access);
  app.addHook('preClose', async () => realtime.close());
  // --- the supervisors' live board (src/live): device states + the call tracker -> deltas to supervisors
  const phonePattern = new RegExp(config.CTI_EXTENSION_PATTERN);
  const live = new LiveService({
    db: handle.db, log: log.child({ feature: 'live' }), timeZone: config.CTI_TIMEZONE,
    isExtension: (r) => phonePattern.test(r),
  });
  live.publishTo(realtime);
  app.addHook('onClose', async () => live.stop());
  const outcomes = loadOutcomes(config.CTI_WRAPUP_OUTCOMES_FILE);
  const kpi = loadKpi(config.CTI_KPI_FILE);
  const sweepMissed = async (callIds: string[] | null) => {
    const r = await createMissedCallTasks(handle.db, { dueMinutes: config.CTI_CALLBACK_DUE_MINUTES, callIds });
    for (const t of r.created) realtime.taskCreated(t);
    for (const t of r.updated) realtime.taskUpdated(t);
  };
  // One check at a time; shutdown waits for the one running before the database closes.
  let overdueCheck: Promise<void> | null = null;
  const overdue = setInterval(() => {
    if (overdueCheck) return;
    overdueCheck = takeNewlyOverdue(handle.db)
      .then((due) => { for (const t of due) realtime.taskOverdue(t); })
      .catch((err: unknown) => log.error({ err }, 'overdue task check failed'))
      .finally(() => { overdueCheck = null; });
  }, opts.overdueCheckMs ?? 10_000);
  overdue.unref();
  app.addHook('onClose', async () => {
    clearInterval(overdue);
    await overdueCheck;
  });

  // Whose mobile a number is, for the call tracker, which asks synchronously (src/users/mobiles.ts).
  const mobiles = new MobileDirectory({ db: handle.db, region: config.CTI_DEFAULT_REGION, log: log.child({ feature: 'users' }) });
  await mobiles.start();
  app.addHook('onClose', async () => mobiles.stop());

  // The PBX on another host: its recordings over HTTPS with mutual TLS (docs/remote-pbx.md).
  const remoteRecordings = config.CTI_PBX_RECORDINGS_URL ? new RemoteRecordings({
    url: config.CTI_PBX_RECORDINGS_URL, caFile: config.CTI_PBX_RECORDINGS_CA!, certFile: config.CTI_PBX_RECORDINGS_CERT!, keyFile: config.CTI_PBX_RECORDINGS_KEY!,
  }) : null;
  if (remoteRecordings) app.addHook('onClose', async () => remoteRecordings.close());

  let pbx: Pbx | null = null;
  let callLog: CallLog | null = null;
  let provisioning: SoftphoneProvisioning | null = null;
  if (opts.connectPbx !== false || opts.trackCalls) {
    callLog = new CallLog({
      db: handle.db, log, extensionPattern: new RegExp(config.CTI_EXTENSION_PATTERN), region: config.CTI_DEFAULT_REGION,
      recordingsDir: config.CTI_RECORDINGS_DIR, pbxRecordingsDir: config.CTI_PBX_RECORDINGS_DIR ?? null, remoteRecordings, celFile: config.CTI_CEL_FILE,
      cel: celSource({ file: config.CTI_CEL_FILE, databaseUrl: config.CTI_PBX_CEL_DATABASE_URL, table: config.CTI_PBX_CEL_TABLE, timeZone: config.CTI_PBX_TIMEZONE ?? config.CTI_TIMEZONE }),
      celTimeZone: config.CTI_PBX_TIMEZONE ?? config.CTI_TIMEZONE, reconcileIntervalMs: config.CTI_RECONCILE_INTERVAL_S * 1000,
      reconcileDays: config.CTI_RECONCILE_DAYS,
      // A leg to a manager's mobile (follow-me, forwarding) is that manager's (users.mobile).
      mobileExtension: (n) => mobiles.extensionOf(n),
      // Run on the call log's queue of writes, after the calls are stored (and drained at shutdown).
      onCallsEnded: async (ids) => {
        live.callsEnded();
        await sweepMissed(ids);
      },
    });
    realtime.attach(callLog.tracker);
    live.attachTracker(callLog.tracker);
  }
  if (callLog && opts.connectPbx === false) {
    const cl = callLog;
    app.addHook('onClose', async () => cl.stop());
  }
  if (callLog && opts.connectPbx !== false) {
    const ariUser = config.CTI_ARI_USER && config.CTI_ARI_PASSWORD ? { user: config.CTI_ARI_USER, password: config.CTI_ARI_PASSWORD } : null;
    pbx = new Pbx({
      ami: { host: config.CTI_AMI_HOST, port: config.CTI_AMI_PORT, user: config.CTI_AMI_USER, secret: config.CTI_AMI_SECRET, actionTimeoutMs: config.CTI_ACTION_TIMEOUT_MS },
      ari: ariUser ? { url: config.CTI_ARI_URL, ...ariUser, app: config.CTI_ARI_APP } : null,
      originateContext: config.CTI_ORIGINATE_CONTEXT,
    }, log);
    const cl = callLog;
    const p = pbx;
    if (p.ari && ariUser) {
      const stasis = new StasisApp(p.ari, config.CTI_ARI_APP, log.child({ feature: 'routing' }));
      const router = new Router({
        rules, facts: factsSource(handle.db), region: config.CTI_DEFAULT_REGION, log: log.child({ feature: 'routing' }),
        faultDelayMs: config.CTI_FAULT_ROUTING_DELAY_MS,
      });
      stasis.onRoute((req) => router.route(req));
      // Browser phones' endpoints live in Asterisk's memory: pushed again after every ARI (re)connect.
      const prov = new SoftphoneProvisioning({
        db: handle.db, secret: softphone.secret, log: log.child({ feature: 'softphone' }),
        endpoints: new SoftphoneEndpoints({
          ariUrl: config.CTI_ARI_URL, ...ariUser,
          endpointOptions: parseEndpointOptions(config.CTI_SOFTPHONE_ENDPOINT),
        }, log.child({ feature: 'softphone' })),
      });
      provisioning = prov;
      p.ari.on('ready', () => void prov.sync());
    } else {
      log.info('no ARI user (CTI_ARI_USER, CTI_ARI_PASSWORD): observing the PBX only, no routing and no browser phones');
    }
    p.on('event', (e) => cl.handle(e));
    live.attachPbx(p);
    p.on('amiReady', ({ reconnect }) => {
      void (async () => {
        try {
          const live = await p.liveChannels();
          const r = await cl.resync(live, Date.now());
          log.info({ reconnect, liveChannels: live.length, ...r }, 'call log re-synced with the PBX');
        } catch (err) {
          log.error({ err }, 'could not list live channels; reconciling from the CDR only');
        }
        await cl.reconcile();
      })();
    });
    app.addHook('onReady', async () => {
      // Calls that ended while we were down are in the CDR even if the PBX is unreachable now.
      await cl.reconcile();
      cl.start();
      p.start();
    });
    app.addHook('onClose', async () => {
      // No more events, then the call log writes what it holds (before the database closes: onClose runs last-added first).
      await p.stop();
      await cl.stop();
    });
  }
  app.decorate('pbx', pbx);
  app.decorate('callLog', callLog);
  const clickToCall = new ClickToCall({
    pbx, tracker: callLog?.tracker ?? null, log: log.child({ feature: 'click2call' }),
    notify: (userId, p) => realtime.c2cProgress(userId, p), policy: dialPolicyOf(config), ringMs: config.CTI_CLICK_TO_CALL_RING_S * 1000,
  });
  app.addHook('onClose', async () => clickToCall.stop());

  // --- routes
  if (config.CTI_DEMO) registerDemoRoutes(app);
  registerHealth(app, { db: handle.db, pbx, liveCalls: () => callLog?.tracker.liveCount ?? 0 });
  registerUserRoutes(app, {
    db: handle.db,
    limiter: new LoginLimiter(handle.db, {
      maxPerUser: config.CTI_LOGIN_MAX_FAILURES, maxPerAddress: config.CTI_LOGIN_ADDRESS_MAX_FAILURES, windowMs: LOGIN_WINDOW_MS,
    }),
    sessionTtlMs: config.CTI_SESSION_HOURS * 3600_000, cookieSecure: config.CTI_COOKIE_SECURE,
    access, region: config.CTI_DEFAULT_REGION,
    onUserChanged: (before, after) => {
      void mobiles.refresh();
      live.usersChanged();
      provisioning?.userChanged(before, after);
    },
  });
  registerTokenRoutes(app, { db: handle.db });
  registerSoftphoneRoutes(app, { db: handle.db, settings: softphone });
  registerCallRoutes(app, { db: handle.db, recordingsDir: config.CTI_RECORDINGS_DIR, pbxRecordingsDir: config.CTI_PBX_RECORDINGS_DIR ?? null, remoteRecordings, region: config.CTI_DEFAULT_REGION, clickToCall,
    timeZone: config.CTI_TIMEZONE, outcomes, publicUrl: config.CTI_PUBLIC_URL,
  });
  registerReportRoutes(app, { db: handle.db, timeZone: config.CTI_TIMEZONE, kpi, outcomes });
  registerTaskRoutes(app, {
    db: handle.db, outcomes, onTaskCreated: (t) => realtime.taskCreated(t), onTaskUpdated: (t) => realtime.taskUpdated(t),
  });
  registerContactRoutes(app, { db: handle.db, log, region: config.CTI_DEFAULT_REGION, rematchDays: config.CTI_CONTACTS_REMATCH_DAYS });
  registerRoutingRoutes(app, { db: handle.db, rules });
  registerLiveRoutes(app, live);

  // --- the web app (web/dist, built separately), with the SPA's routes falling back to index.html
  const webDir = resolve(config.CTI_WEB_DIR);
  if (existsSync(resolve(webDir, 'index.html'))) await registerWebApp(app, webDir);

  return app;
}
