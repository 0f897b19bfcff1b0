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
import { MAIN_PBX } from '../pbx/pbx-id.js';
import type { RecordingsPlace } from './queries.js';
import { MobileDirectory } from '../users/mobiles.js';
import { CallLog } from './call-log.js';
import { ClickToCall } from './click-to-call.js';
import { dialPolicyOf } from './dial-policy.js';
import { registerCallRoutes } from './routes.js';

/** Told of every write of ended calls, on the call log's queue (their ids; null: a reconcile pass). */
export type CallsEndedHook = (ids: string[] | null) => void | Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The PBX main's call log; null without a PBX (API only). */
    callLog: CallLog | null;
    /** Every attached PBX's call log, by PBX id. */
    callLogs: ReadonlyMap<string, CallLog>;
    callsEnded: { add(hook: CallsEndedHook): void };
  }
}

export const callsPlugin = fp(async (app: FastifyInstance, o: { config: ServiceConfig; log: Logger; outcomes: readonly Outcome[] }) => {
  const { config, log } = o;
  const { db, cluster } = app;
  const hooks: CallsEndedHook[] = [];
  app.decorate('callsEnded', { add: (h: CallsEndedHook) => void hooks.push(h) });

  // Where each PBX's recordings are: this disk, or its recordings server over HTTPS with mutual TLS
  // (docs/remote-pbx.md). main's from the CTI_* variables, the others' from CTI_PBXS_FILE.
  const places = new Map<string, RecordingsPlace>();
  for (const s of app.pbxSettings) {
    const r = s.remoteRecordings;
    const remote = r ? new RemoteRecordings({ url: r.url, caFile: r.caFile, certFile: r.certFile, keyFile: r.keyFile }) : null;
    if (remote) app.addHook('onClose', async () => remote.close());
    places.set(s.id, { recordingsDir: s.recordingsDir, pbxRecordingsDir: s.pbxRecordingsDir, remoteRecordings: remote });
  }
  const mainPlace = places.get(MAIN_PBX)!;

  // Whose mobile a number is, for the call trackers, which ask synchronously (src/users/mobiles.ts).
  const mobiles = new MobileDirectory({ db, region: config.CTI_DEFAULT_REGION, log: log.child({ feature: 'users' }) });
  const callLogs = new Map<string, CallLog>();
  if (app.pbxes.length) {
    cluster.on('user-changed', () => void mobiles.refresh());
    // Before any call log replays its PBX's log (duties start in the order they were added).
    cluster.onLead('mobiles', 'prepare', () => mobiles.start());
    app.addHook('onClose', async () => mobiles.stop());
  }
  for (const { id: pbxId, link: pbx, settings } of app.pbxes) {
    const place = places.get(pbxId) ?? mainPlace;
    // A test's fake of a PBX nobody configured reads main's log (src/pbx/pbxes.ts mainPbx).
    const s = settings ?? app.pbxSettings[0]!;
    const plog = app.pbxes.length > 1 ? log.child({ pbxId }) : log;
    const cl = new CallLog({
      db, pbxId, log: plog, extensionPattern: new RegExp(config.CTI_EXTENSION_PATTERN), region: config.CTI_DEFAULT_REGION,
      recordingsDir: place.recordingsDir, pbxRecordingsDir: place.pbxRecordingsDir ?? null, remoteRecordings: place.remoteRecordings ?? null, celFile: s.celFile,
      // The event log: cel_custom's file, or cel_pgsql's table when the PBX is on another host (docs/remote-pbx.md).
      cel: celSource({ file: s.celFile, databaseUrl: s.celDatabaseUrl ?? undefined, table: s.celTable, timeZone: s.timeZone }),
      celTimeZone: s.timeZone, reconcileIntervalMs: config.CTI_RECONCILE_INTERVAL_S * 1000,
      reconcileDays: config.CTI_RECONCILE_DAYS,
      // A leg to a manager's mobile (follow-me, forwarding) is that manager's (users.mobile), on this PBX.
      mobileExtension: (n) => mobiles.extensionOf(pbxId, n),
      onCallsEnded: async (ids) => {
        for (const h of hooks) await h(ids);
      },
    });
    callLogs.set(pbxId, cl);
    app.realtime.attach(cl.tracker);
    pbx.on('event', (e) => cl.handle(e));
    // After every AMI (re)connect: end the calls that vanished, adopt those we never saw start, then
    // replay Asterisk's event log for what happened meanwhile.
    pbx.on('amiReady', ({ reconnect }) => {
      void (async () => {
        try {
          const live = await pbx.liveChannels();
          const r = await cl.resync(live, Date.now());
          plog.info({ reconnect, liveChannels: live.length, ...r }, 'call log re-synced with the PBX');
        } catch (err) {
          plog.error({ err }, 'could not list live channels; reconciling from the CDR only');
        }
        await cl.reconcile();
      })();
    });
    cluster.onLead(`call log ${pbxId}`, 'prepare', async () => {
      // Calls that ended while nobody led are in Asterisk's log even if the PBX is unreachable now.
      await cl.reconcile();
      cl.start();
    });
    // The call log writes what it holds before the database closes (the PBX stopped at preClose).
    app.addHook('onClose', async () => cl.stop());
  }
  app.decorate('callLog', callLogs.get(MAIN_PBX) ?? null);
  app.decorate('callLogs', callLogs);

  const clickToCall = new ClickToCall({
    pbxes: new Map(app.pbxes.map((p) => [p.id, { link: p.link, tracker: callLogs.get(p.id)?.tracker ?? null }])), log: log.child({ feature: 'click2call' }),
    notify: (userId, p) => app.realtime.c2cProgress(userId, p), policy: dialPolicyOf(config), ringMs: config.CTI_CLICK_TO_CALL_RING_S * 1000,
  });
  app.addHook('onClose', async () => clickToCall.stop());
  // Placed by the leader, whichever instance the manager's page is on.
  cluster.handle('click-to-call', ({ actor, input }) => clickToCall.start({ db, actor, region: config.CTI_DEFAULT_REGION }, input));
  registerCallRoutes(app, {
    db, ...mainPlace, pbxRecordings: (id) => places.get(id), region: config.CTI_DEFAULT_REGION,
    clickToCall: { start: (ctx, input) => cluster.ask('click-to-call', { actor: ctx.actor, input }) },
    timeZone: config.CTI_TIMEZONE, outcomes: o.outcomes, publicUrl: config.CTI_PUBLIC_URL, pbxes: app.pbxList,
  });
}, { name: 'calls', dependencies: ['db', 'cluster', 'realtime', 'pbx'] });
