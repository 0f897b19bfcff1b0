// The calls feature as a fastify plugin: the call log (built from the PBX's events, src/calls/call-log.ts)
// with its re-sync after every AMI (re)connect, click-to-call, and the calls API. Other features follow
// the calls it stores through app.callsEnded (the board's counters, missed-call tasks).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceConfig } from '../config/config.js';
import type { Logger } from '../lib/logger.js';
import type { Outcome } from '../tasks/outcomes.js';
import { celSource } from '../pbx/cel-source.js';
import { RemoteRecordings } from '../pbx/remote-recordings.js';
import { MobileDirectory } from '../users/mobiles.js';
import { CallLog } from './call-log.js';
import { ClickToCall } from './click-to-call.js';
import { dialPolicyOf } from './dial-policy.js';
import { registerCallRoutes } from './routes.js';

/** Told of every write of ended calls, on the call log's queue (their ids; null: a reconcile pass). */
export type CallsEndedHook = (ids: string[] | null) => void | Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /** null without a PBX (API only). */
    callLog: CallLog | null;
    callsEnded: { add(hook: CallsEndedHook): void };
  }
}

export const callsPlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger; outcomes: readonly Outcome[] }) => {
  const { config, log } = o;
  const { db, pbx, cluster } = app;
  const hooks: CallsEndedHook[] = [];
  app.decorate('callsEnded', { add: (h: CallsEndedHook) => void hooks.push(h) });

  // The PBX on another host: its recordings over HTTPS with mutual TLS (docs/remote-pbx.md).
  const remoteRecordings = config.CTI_PBX_RECORDINGS_URL ? new RemoteRecordings({
    url: config.CTI_PBX_RECORDINGS_URL, caFile: config.CTI_PBX_RECORDINGS_CA!, certFile: config.CTI_PBX_RECORDINGS_CERT!, keyFile: config.CTI_PBX_RECORDINGS_KEY!,
  }) : null;
  if (remoteRecordings) app.addHook('onClose', async () => remoteRecordings.close());

  let callLog: CallLog | null = null;
  if (pbx) {
    // Whose mobile a number is, for the call tracker, which asks synchronously (src/users/mobiles.ts).
    const mobiles = new MobileDirectory({ db, region: config.CTI_DEFAULT_REGION, log: log.child({ feature: 'users' }) });
    const cl = new CallLog({
      db, log, extensionPattern: new RegExp(config.CTI_EXTENSION_PATTERN), region: config.CTI_DEFAULT_REGION,
      recordingsDir: config.CTI_RECORDINGS_DIR, pbxRecordingsDir: config.CTI_PBX_RECORDINGS_DIR ?? null, remoteRecordings, celFile: config.CTI_CEL_FILE,
      // The event log: cel_custom's file, or cel_pgsql's table when the PBX is on another host (docs/remote-pbx.md).
      cel: celSource({ file: config.CTI_CEL_FILE, databaseUrl: config.CTI_PBX_CEL_DATABASE_URL, table: config.CTI_PBX_CEL_TABLE, timeZone: config.CTI_PBX_TIMEZONE ?? config.CTI_TIMEZONE }),
      celTimeZone: config.CTI_PBX_TIMEZONE ?? config.CTI_TIMEZONE, reconcileIntervalMs: config.CTI_RECONCILE_INTERVAL_S * 1000,
      reconcileDays: config.CTI_RECONCILE_DAYS,
      // A leg to a manager's mobile (follow-me, forwarding) is that manager's (users.mobile).
      mobileExtension: (n) => mobiles.extensionOf(n),
      onCallsEnded: async (ids) => {
        for (const h of hooks) await h(ids);
      },
    });
    callLog = cl;
    app.realtime.attach(cl.tracker);
    pbx.on('event', (e) => cl.handle(e));
    // After every AMI (re)connect: end the calls that vanished, adopt those we never saw start, then
    // replay Asterisk's event log for what happened meanwhile.
    pbx.on('amiReady', ({ reconnect }) => {
      void (async () => {
        try {
          const live = await pbx.liveChannels();
          const r = await cl.resync(live, Date.now());
          log.info({ reconnect, liveChannels: live.length, ...r }, 'call log re-synced with the PBX');
        } catch (err) {
          log.error({ err }, 'could not list live channels; reconciling from the CDR only');
        }
        await cl.reconcile();
      })();
    });
    cluster.on('user-changed', () => void mobiles.refresh());
    cluster.onLead('call log', 'prepare', async () => {
      await mobiles.start();
      // Calls that ended while nobody led are in Asterisk's log even if the PBX is unreachable now.
      await cl.reconcile();
      cl.start();
    });
    // The call log writes what it holds before the database closes (the PBX stopped at preClose).
    app.addHook('onClose', async () => {
      await cl.stop();
      mobiles.stop();
    });
  }
  app.decorate('callLog', callLog);

  const clickToCall = new ClickToCall({
    pbx, tracker: callLog?.tracker ?? null, log: log.child({ feature: 'click2call' }),
    notify: (userId, p) => app.realtime.c2cProgress(userId, p), policy: dialPolicyOf(config), ringMs: config.CTI_CLICK_TO_CALL_RING_S * 1000,
  });
  app.addHook('onClose', async () => clickToCall.stop());
  // Placed by the leader, whichever instance the manager's page is on.
  cluster.handle('click-to-call', ({ actor, input }) => clickToCall.start({ db, actor, region: config.CTI_DEFAULT_REGION }, input));
  registerCallRoutes(app, {
    db, recordingsDir: config.CTI_RECORDINGS_DIR, pbxRecordingsDir: config.CTI_PBX_RECORDINGS_DIR ?? null, remoteRecordings, region: config.CTI_DEFAULT_REGION,
    clickToCall: { start: (ctx, input) => cluster.ask('click-to-call', { actor: ctx.actor, input }) },
    timeZone: config.CTI_TIMEZONE, outcomes: o.outcomes, publicUrl: config.CTI_PUBLIC_URL,
  });
}, { name: 'calls', dependencies: ['db', 'cluster', 'realtime', 'pbx'] });
