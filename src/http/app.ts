// The app factory: assembles the service from its parts (db, pbx + call log, http routes). Each part
// registers its own onClose. src/server.ts only reads config, listens and handles signals; tests build
// the app with { connectPbx: false } and use inject().
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyError, type FastifyBaseLogger } from 'fastify';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ServiceConfig } from '../config/config.js';
import { openDb, type Db } from '../db/client.js';
import { CtiError, toHttp } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { Pbx, type PbxHealth } from '../pbx/pbx.js';
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
import { ClickToCall } from '../calls/click-to-call.js';
import { RealtimeHub } from '../realtime/hub.js';
import { loadOutcomes } from '../tasks/outcomes.js';
import { registerTaskRoutes } from '../tasks/routes.js';
import { createMissedCallTasks, takeNewlyOverdue } from '../tasks/tasks.js';
import { LoginLimiter } from '../users/sessions.js';
import { registerUserRoutes } from '../users/routes.js';
import { LiveService } from '../live/live.js';
import { registerLiveRoutes } from '../live/routes.js';
import { parseEndpointOptions, SoftphoneEndpoints } from '../pbx/softphone-endpoints.js';
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
    ajv: { customOptions: { allErrors: false, coerceTypes: true, removeAdditional: false } },
  });

  // --- db
  const handle = openDb(config.CTI_DB_FILE);
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
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  registerAuth(app, handle.db);

  // --- routing rules (the admin API edits them even when the PBX is not connected)
  const rules = new RulesStore(config.CTI_ROUTING_FILE, log.child({ feature: 'routing' }));
  rules.watch();
  app.addHook('onClose', async () => rules.stop());

  // --- pbx + call log + routing
  // --- realtime (socket.io on the same HTTP server) and tasks
  const realtime = new RealtimeHub(app.server, { db: handle.db, log: log.child({ feature: 'realtime' }) });
  app.decorate('realtime', realtime);
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
  const sweepMissed = (callIds: string[] | null) => {
    const r = createMissedCallTasks(handle.db, { dueMinutes: config.CTI_CALLBACK_DUE_MINUTES, callIds });
    for (const t of r.created) realtime.taskCreated(t);
    for (const t of r.updated) realtime.taskUpdated(t);
  };
  const overdue = setInterval(() => {
    try {
      for (const t of takeNewlyOverdue(handle.db)) realtime.taskOverdue(t);
    } catch (err) {
      log.error({ err }, 'overdue task check failed');
    }
  }, opts.overdueCheckMs ?? 10_000);
  overdue.unref();
  app.addHook('onClose', async () => clearInterval(overdue));

  let pbx: Pbx | null = null;
  let callLog: CallLog | null = null;
  const softphone = softphoneSettings(config);
  let provisioning: SoftphoneProvisioning | null = null;
  if (opts.connectPbx !== false || opts.trackCalls) {
    callLog = new CallLog({
      db: handle.db, log, extensionPattern: new RegExp(config.CTI_EXTENSION_PATTERN), region: config.CTI_DEFAULT_REGION,
      recordingsDir: config.CTI_RECORDINGS_DIR, cdrFile: config.CTI_CDR_FILE, reconcileIntervalMs: config.CTI_RECONCILE_INTERVAL_S * 1000,
      reconcileDays: config.CTI_RECONCILE_DAYS,
      onCallsEnded: (ids) => { sweepMissed(ids); live.callsEnded(); },
    });
    realtime.attach(callLog.tracker);
    live.attachTracker(callLog.tracker);
  }
  if (callLog && opts.connectPbx === false) {
    const cl = callLog;
    app.addHook('onClose', async () => cl.stop());
  }
  if (callLog && opts.connectPbx !== false) {
    pbx = new Pbx({
      ami: { host: config.CTI_AMI_HOST, port: config.CTI_AMI_PORT, user: config.CTI_AMI_USER, secret: config.CTI_AMI_SECRET, actionTimeoutMs: config.CTI_ACTION_TIMEOUT_MS },
      ari: { url: config.CTI_ARI_URL, user: config.CTI_ARI_USER, password: config.CTI_ARI_PASSWORD, app: config.CTI_ARI_APP },
    }, log);
    const cl = callLog;
    const p = pbx;
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
        ariUrl: config.CTI_ARI_URL, user: config.CTI_ARI_USER, password: config.CTI_ARI_PASSWORD,
        endpointOptions: parseEndpointOptions(config.CTI_SOFTPHONE_ENDPOINT),
      }, log.child({ feature: 'softphone' })),
    });
    provisioning = prov;
    p.ari.on('ready', () => void prov.sync());
    p.on('event', (e) => cl.handle(e));
    live.attachPbx(p);
    p.on('amiReady', ({ reconnect }) => {
      void (async () => {
        try {
          const live = await p.liveChannels();
          const r = cl.resync(live, Date.now());
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
      cl.stop();
      await p.stop();
    });
  }
  app.decorate('pbx', pbx);
  app.decorate('callLog', callLog);
  const clickToCall = new ClickToCall({
    pbx, tracker: callLog?.tracker ?? null, log: log.child({ feature: 'click2call' }),
    notify: (userId, p) => realtime.c2cProgress(userId, p),
  });
  app.addHook('onClose', async () => clickToCall.stop());

  // --- routes
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'AMI and ARI connection states' },
  }, async (_req, reply) => {
    const h: PbxHealth | null = pbx ? pbx.health() : null;
    const ok = h ? h.ami.state === 'connected' && h.ari.state === 'connected' : true;
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'degraded',
      ami: h?.ami ?? { state: 'disabled', error: null },
      ari: h?.ari ?? { state: 'disabled', error: null },
      liveCalls: callLog?.tracker.liveCount ?? 0,
    });
  });
  registerUserRoutes(app, {
    db: handle.db, limiter: new LoginLimiter(), sessionTtlMs: config.CTI_SESSION_HOURS * 3600_000, cookieSecure: config.CTI_COOKIE_SECURE,
    onUserChanged: (before, after) => {
      live.usersChanged();
      provisioning?.userChanged(before, after);
    },
  });
  registerSoftphoneRoutes(app, { db: handle.db, settings: softphone });
  registerCallRoutes(app, { db: handle.db, recordingsDir: config.CTI_RECORDINGS_DIR, region: config.CTI_DEFAULT_REGION, clickToCall,
    timeZone: config.CTI_TIMEZONE, outcomes,
  });
  registerReportRoutes(app, { db: handle.db, timeZone: config.CTI_TIMEZONE, kpi, outcomes });
  registerTaskRoutes(app, {
    db: handle.db, outcomes, onTaskCreated: (t) => realtime.taskCreated(t), onTaskUpdated: (t) => realtime.taskUpdated(t),
  });
  registerContactRoutes(app, { db: handle.db, log, region: config.CTI_DEFAULT_REGION, rematchDays: config.CTI_CONTACTS_REMATCH_DAYS });
  registerRoutingRoutes(app, rules);
  registerLiveRoutes(app, live);

  // --- the web app (web/dist, built separately), with the SPA's routes falling back to index.html
  const webDir = resolve(config.CTI_WEB_DIR);
  if (existsSync(resolve(webDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', index: ['index.html'] });
    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?', 1)[0]!;
      if (req.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/socket.io') && !/\.[a-z0-9]+$/i.test(path)) {
        return reply.type('text/html; charset=utf-8').sendFile('index.html');
      }
      const { status, body } = toHttp(new CtiError('CTI_ERR_NOT_FOUND', `No route ${req.method} ${path}`));
      return reply.code(status).send(body);
    });
  }

  return app;
}
