// The PBX boundary as the rest of the service sees it: typed events, connection health, and the few
// actions we take. Everything about AMI headers and ARI JSON stays in this folder.
import type { Logger } from '../lib/logger.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { AmiClient, type AmiOptions } from './ami-client.js';
import { AriConnection, type AriOptions } from './ari-client.js';
import type { ConnectionState, DeviceStatus, LiveChannel, PbxEvent, QueueStatusEntry } from './events.js';

export interface PbxHealth {
  ami: { state: ConnectionState; error: string | null };
  /** 'disabled': no ARI user configured (observe only). */
  ari: { state: ConnectionState | 'disabled'; error: string | null };
}

/** How an Originate's own dial of the manager's phone ended without an answer (AMI OriginateResponse Reason). */
export type OriginateFailure = 'busy' | 'no_answer' | 'hung_up' | 'unavailable';

export type PbxEvents = {
  event: (e: PbxEvent) => void;
  /** A click-to-call's Originate failed before the dialplan ran (its first leg, the manager's phone). */
  clickToCallFailed: (f: { requestId: string; reason: OriginateFailure }) => void;
  /** AMI logged in (again): time to re-sync calls in progress and reconcile. */
  amiReady: (info: { reconnect: boolean }) => void;
  /** AMI connection state changes (what is known of device states goes stale while it is down). */
  amiState: (state: ConnectionState) => void;
};

const C2C_PREFIX = 'c2c-';

/**
 * A click-to-call's failed Originate, from AMI OriginateResponse. Reason is the last control frame of
 * the originated channel (include/asterisk/frame.h): 5 busy, 3 ringing until the timeout, 1 hung up;
 * 0 or 8 no channel at all (the phone is not registered), but also a phone that answered 486 Busy at once
 * (Asterisk 22, tests/fixtures/ami/click2call-busy.ami): 'unavailable' is a guess the channel's own end
 * overrides (src/calls/click-to-call.ts).
 */
export function clickToCallFailure(e: PbxEvent): { requestId: string; reason: OriginateFailure } | null {
  if (e.type !== 'originate.response' || e.success || !e.actionId.startsWith(C2C_PREFIX)) return null;
  const reason: OriginateFailure = e.reason === 5 ? 'busy' : e.reason === 3 ? 'no_answer' : e.reason === 1 ? 'hung_up' : 'unavailable';
  return { requestId: e.actionId.slice(C2C_PREFIX.length), reason };
}

/**
 * What the rest of the service uses of a PBX: its events and the few actions. The real one is Pbx
 * (AMI + ARI); the service tier's tests attach a fake that they feed recorded events
 * (tests/support/fake-pbx.ts), so the call log, the pops and the board run as they do on a real PBX.
 */
export interface PbxLink {
  on<K extends keyof PbxEvents & string>(event: K, listener: PbxEvents[K]): this;
  off<K extends keyof PbxEvents & string>(event: K, listener: PbxEvents[K]): this;
  /** null: no ARI (observe only, or a fake): no routing and no browser phones. */
  readonly ari: AriConnection | null;
  readonly amiConnected: boolean;
  start(): void;
  stop(): Promise<void>;
  health(): PbxHealth;
  clickToCall(o: { requestId: string; extension: string; digits: string; ringMs: number; tagBrowser: boolean }): Promise<void>;
  liveChannels(): Promise<LiveChannel[]>;
  deviceStates(): Promise<DeviceStatus[]>;
  queueStatus(): Promise<QueueStatusEntry[]>;
}

export class Pbx extends TypedEmitter<PbxEvents> implements PbxLink {
  readonly ami: AmiClient;
  /** null when no ARI user is configured: observe only (no routing, no browser phones). */
  readonly ari: AriConnection | null;
  private readonly originateContext: string;

  /** `originateContext`: where click-to-call continues once the phone answers (CTI_ORIGINATE_CONTEXT). */
  constructor(opts: { ami: AmiOptions; ari: AriOptions | null; originateContext?: string }, log: Logger) {
    super();
    this.originateContext = opts.originateContext ?? 'cti-click2call';
    this.ami = new AmiClient(opts.ami, log.child({ pbx: 'ami' }));
    this.ari = opts.ari ? new AriConnection(opts.ari, log.child({ pbx: 'ari' })) : null;
    this.ami.on('event', (e) => {
      this.emit('event', e);
      const failed = clickToCallFailure(e);
      if (failed) this.emit('clickToCallFailed', failed);
    });
    this.ami.on('ready', (info) => this.emit('amiReady', info));
    this.ami.on('state', (s) => this.emit('amiState', s));
  }

  start(): void {
    this.ami.start();
    this.ari?.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.ami.stop(), this.ari?.stop()]);
  }

  health(): PbxHealth {
    return {
      ami: { state: this.ami.state, error: this.ami.error },
      ari: this.ari ? { state: this.ari.state, error: this.ari.error } : { state: 'disabled', error: null },
    };
  }

  get amiConnected(): boolean {
    return this.ami.state === 'connected';
  }

  /**
   * Click-to-call: AMI Originate rings the manager's phone first, and once answered the dialplan dials
   * the client: our shipped dialplan's cti-click2call (dialplan/extensions_cti.conf), or the PBX's own
   * context for a phone's calls (FreePBX's from-internal, through its outbound routes).
   * `requestId` becomes the call's linkedid (Asterisk 22 manager_originate: ChannelId sets the originated
   * channel's Uniqueid). `tagBrowser`: a browser phone is told which ring it asked for (X-CTI-Request).
   */
  async clickToCall(o: { requestId: string; extension: string; digits: string; ringMs: number; tagBrowser: boolean }): Promise<void> {
    await this.ami.action({
      action: 'Originate', actionid: `${C2C_PREFIX}${o.requestId}`,
      channel: `PJSIP/${o.extension}`, context: this.originateContext, exten: o.digits, priority: 1,
      channelid: o.requestId, callerid: `"${o.digits}" <${o.digits}>`, timeout: o.ringMs, async: 'true',
      // The phone shows the client's number (the caller ID above). REALCALLERIDNUM tells FreePBX's
      // user-callerid which device calls, which it otherwise reads from that caller ID: the call is then
      // the manager's (their recording policy, their outbound caller ID). Our own dialplan ignores it.
      variable: {
        REALCALLERIDNUM: o.extension,
        ...(o.tagBrowser ? { 'PJSIP_HEADER(add,X-CTI-Request)': o.requestId } : {}),
      },
    });
  }

  liveChannels(): Promise<LiveChannel[]> {
    return this.ami.liveChannels();
  }

  /** Every device's state now (AMI DeviceStateList), to start from after a (re)connect. */
  deviceStates(): Promise<DeviceStatus[]> {
    return this.ami.deviceStates();
  }

  /** Every queue with its members and how many wait in it now (AMI QueueStatus), to start from after a (re)connect. */
  queueStatus(): Promise<QueueStatusEntry[]> {
    return this.ami.queueStatus();
  }
}
