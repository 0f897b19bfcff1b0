// What only the leader does (src/cluster/leader.ts): it alone is attached to the PBX (AMI events, the
// Stasis application, browser phones' endpoints), writes the call log, keeps the live board and runs
// the timers (missed-call tasks, overdue tasks). One process alone is always the leader; with several
// instances, another builds these when it takes over, and its first re-sync with the PBX and replay of
// Asterisk's event log complete what the one before left (src/calls/reconcile.ts).
import type { ServiceConfig } from '../config/config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { Pbx } from '../pbx/pbx.js';
import { StasisApp } from '../pbx/stasis.js';
import { parseEndpointOptions, SoftphoneEndpoints } from '../pbx/softphone-endpoints.js';
import { CallLog } from '../calls/call-log.js';
import { ClickToCall } from '../calls/click-to-call.js';
import { dialPolicyOf } from '../calls/dial-policy.js';
import { LiveService } from '../live/live.js';
import type { RealtimeHub } from '../realtime/hub.js';
import type { RulesStore } from '../routing/rules.js';
import { Router } from '../routing/router.js';
import { factsSource } from '../routing/facts.js';
import { softphoneSettings } from '../softphone/credentials.js';
import { SoftphoneProvisioning } from '../softphone/provisioning.js';
import { createMissedCallTasks, takeNewlyOverdue } from '../tasks/tasks.js';
import { MobileDirectory } from '../users/mobiles.js';
import type { UserView } from '../users/users.js';

export interface DutiesOptions {
  config: ServiceConfig;
  db: Db;
  log: Logger;
  realtime: RealtimeHub;
  rules: RulesStore;
  /** false: no AMI/ARI connection (API-only tests). */
  connectPbx: boolean;
  /** With connectPbx false: a call log fed by the test (app.callLog.handle()). */
  trackCalls: boolean;
  overdueCheckMs: number;
}

export class LeaderDuties {
  readonly live: LiveService;
  readonly clickToCall: ClickToCall;
  readonly pbx: Pbx | null = null;
  readonly callLog: CallLog | null = null;
  private readonly mobiles: MobileDirectory;
  private provisioning: SoftphoneProvisioning | null = null;
  private overdue: NodeJS.Timeout | null = null;
  private overdueCheck: Promise<void> | null = null;
  private started = false;

  constructor(private readonly o: DutiesOptions) {
    const { config, db, log, realtime } = o;
    // --- the supervisors' live board (src/live): device states + the call tracker -> deltas to supervisors
    const phonePattern = new RegExp(config.CTI_EXTENSION_PATTERN);
    this.live = new LiveService({ db, log: log.child({ feature: 'live' }), timeZone: config.CTI_TIMEZONE, isExtension: (r) => phonePattern.test(r) });
    this.live.publishTo(realtime);
    // Whose mobile a number is, for the call tracker, which asks synchronously (src/users/mobiles.ts).
    this.mobiles = new MobileDirectory({ db, region: config.CTI_DEFAULT_REGION, log: log.child({ feature: 'users' }) });

    if (o.connectPbx || o.trackCalls) {
      const callLog = new CallLog({
        db, log, extensionPattern: phonePattern, region: config.CTI_DEFAULT_REGION,
        recordingsDir: config.CTI_RECORDINGS_DIR, pbxRecordingsDir: config.CTI_PBX_RECORDINGS_DIR ?? null, celFile: config.CTI_CEL_FILE,
        celTimeZone: config.CTI_PBX_TIMEZONE ?? config.CTI_TIMEZONE, reconcileIntervalMs: config.CTI_RECONCILE_INTERVAL_S * 1000,
        reconcileDays: config.CTI_RECONCILE_DAYS,
        // A leg to a manager's mobile (follow-me, forwarding) is that manager's (users.mobile).
        mobileExtension: (n) => this.mobiles.extensionOf(n),
        // Run on the call log's queue of writes, after the calls are stored (and drained at shutdown).
        onCallsEnded: async (ids) => {
          this.live.callsEnded();
          await this.sweepMissed(ids);
        },
      });
      realtime.attach(callLog.tracker);
      this.live.attachTracker(callLog.tracker);
      this.callLog = callLog;
    }
    if (this.callLog && o.connectPbx) this.pbx = this.connect(this.callLog);
    this.clickToCall = new ClickToCall({
      pbx: this.pbx, tracker: this.callLog?.tracker ?? null, log: log.child({ feature: 'click2call' }),
      notify: (userId, p) => realtime.c2cProgress(userId, p), policy: dialPolicyOf(config), ringMs: config.CTI_CLICK_TO_CALL_RING_S * 1000,
    });
  }

  /** The PBX link: events into the call log and the board, routing through Stasis, browser phones. */
  private connect(cl: CallLog): Pbx {
    const { config, db, log } = this.o;
    const ariUser = config.CTI_ARI_USER && config.CTI_ARI_PASSWORD ? { user: config.CTI_ARI_USER, password: config.CTI_ARI_PASSWORD } : null;
    const p = new Pbx({
      ami: { host: config.CTI_AMI_HOST, port: config.CTI_AMI_PORT, user: config.CTI_AMI_USER, secret: config.CTI_AMI_SECRET, actionTimeoutMs: config.CTI_ACTION_TIMEOUT_MS },
      ari: ariUser ? { url: config.CTI_ARI_URL, ...ariUser, app: config.CTI_ARI_APP } : null,
      originateContext: config.CTI_ORIGINATE_CONTEXT,
    }, log);
    if (p.ari && ariUser) {
      const stasis = new StasisApp(p.ari, config.CTI_ARI_APP, log.child({ feature: 'routing' }));
      const router = new Router({
        rules: this.o.rules, facts: factsSource(db), region: config.CTI_DEFAULT_REGION, log: log.child({ feature: 'routing' }),
        faultDelayMs: config.CTI_FAULT_ROUTING_DELAY_MS,
      });
      stasis.onRoute((req) => router.route(req));
      // Browser phones' endpoints live in Asterisk's memory: pushed again after every ARI (re)connect.
      const prov = new SoftphoneProvisioning({
        db, secret: softphoneSettings(config).secret, log: log.child({ feature: 'softphone' }),
        endpoints: new SoftphoneEndpoints({
          ariUrl: config.CTI_ARI_URL, ...ariUser,
          endpointOptions: parseEndpointOptions(config.CTI_SOFTPHONE_ENDPOINT),
        }, log.child({ feature: 'softphone' })),
      });
      this.provisioning = prov;
      p.ari.on('ready', () => void prov.sync());
    } else {
      log.info('no ARI user (CTI_ARI_USER, CTI_ARI_PASSWORD): observing the PBX only, no routing and no browser phones');
    }
    p.on('event', (e) => cl.handle(e));
    this.live.attachPbx(p);
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
    return p;
  }

  private async sweepMissed(callIds: string[] | null): Promise<void> {
    const r = await createMissedCallTasks(this.o.db, { dueMinutes: this.o.config.CTI_CALLBACK_DUE_MINUTES, callIds });
    for (const t of r.created) this.o.realtime.taskCreated(t);
    for (const t of r.updated) this.o.realtime.taskUpdated(t);
  }

  /** Begin: read the caches, replay what Asterisk logged while nobody led, then attach to the PBX. */
  async start(): Promise<void> {
    this.started = true;
    await this.mobiles.start();
    // One overdue check at a time; stop() waits for the one running before the database closes.
    this.overdue = setInterval(() => {
      if (this.overdueCheck) return;
      this.overdueCheck = takeNewlyOverdue(this.o.db)
        .then((due) => { for (const t of due) this.o.realtime.taskOverdue(t); })
        .catch((err: unknown) => this.o.log.error({ err }, 'overdue task check failed'))
        .finally(() => { this.overdueCheck = null; });
    }, this.o.overdueCheckMs);
    this.overdue.unref();
    if (this.pbx && this.callLog) {
      // Calls that ended while we were down (or while another led) are in Asterisk's log even if the PBX is unreachable now.
      await this.callLog.reconcile();
      this.callLog.start();
      this.pbx.start();
    }
  }

  /** A user was added, changed or deleted (on any instance): the caches and browser phones follow. */
  userChanged(before: UserView | null, after: UserView | null): void {
    void this.mobiles.refresh();
    this.live.usersChanged();
    this.provisioning?.userChanged(before, after);
  }

  /** No more events, then the call log writes what it holds (before the database closes). */
  async stop(): Promise<void> {
    if (this.overdue) clearInterval(this.overdue);
    await this.overdueCheck;
    this.clickToCall.stop();
    await this.pbx?.stop();
    await this.callLog?.stop();
    await this.live.stop();
    if (this.started) this.mobiles.stop();
  }
}
