// AMI connection over asterisk-manager: our own connect/login/reconnect loop (the library's retries
// forever on a fixed 10..60 s schedule and hides a refused login), a timeout on every action, and
// raw events translated to PbxEvent here and nowhere else.
import AsteriskManager from 'asterisk-manager';
import type { Logger } from '../lib/logger.js';
import { backoffDelay } from '../lib/backoff.js';
import { CtiError } from '../lib/errors.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { toDeviceStatus, toLiveChannel, toPbxEvent, toQueueStatus, type RawAmiEvent } from './ami-events.js';
import type { ConnectionState, DeviceStatus, LiveChannel, PbxEvent, QueueStatusEntry } from './events.js';

export interface AmiOptions {
  host: string;
  port: number;
  user: string;
  secret: string;
  actionTimeoutMs: number;
}

type AmiEvents = {
  event: (e: PbxEvent) => void;
  /** After every successful login, the first one included: time to re-sync. */
  ready: (info: { reconnect: boolean }) => void;
  state: (s: ConnectionState) => void;
};

export class AmiClient extends TypedEmitter<AmiEvents> {
  private mgr: ReturnType<typeof AsteriskManager> | null = null;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private everReady = false;
  private _state: ConnectionState = 'disconnected';
  private lastError: string | null = null;
  private warnedNoTimestamp = false;

  constructor(private readonly opts: AmiOptions, private readonly log: Logger) {
    super();
  }

  get state(): ConnectionState {
    return this._state;
  }
  get error(): string | null {
    return this.lastError;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const m = this.mgr;
    this.mgr = null;
    if (m) {
      m.removeAllListeners();
      m.on('error', () => {});
      await new Promise<void>((r) => m.disconnect(() => r()));
    }
    this.setState('disconnected');
  }

  private setState(s: ConnectionState): void {
    if (s === this._state) return;
    this._state = s;
    this.emit('state', s);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState('connecting');
    // No port in the constructor: the library then does not connect or retry on its own.
    const m = AsteriskManager(undefined, this.opts.host, this.opts.user, this.opts.secret, true);
    this.mgr = m;
    let closed = false;
    const onDown = (why: string) => {
      if (closed || this.mgr !== m) return;
      closed = true;
      m.removeAllListeners();
      m.on('error', () => {});
      m.disconnect();
      this.mgr = null;
      if (this._state !== 'login_failed') this.setState('disconnected');
      this.scheduleReconnect(why);
    };
    m.on('error', (err: Error) => { this.lastError = err.message; onDown(err.message); });
    m.on('close', () => onDown('connection closed'));
    m.on('end', () => onDown('connection ended'));
    m.on('managerevent', (raw: RawAmiEvent) => this.onRaw(raw));
    m.connect(this.opts.port, this.opts.host, () => {
      m.login((err: unknown) => {
        if (this.mgr !== m) return;
        if (err) {
          const msg = String((err as RawAmiEvent)['message'] ?? err);
          this.lastError = `AMI login refused for user '${this.opts.user}' at ${this.opts.host}:${this.opts.port}: ${msg}. Check CTI_AMI_USER and CTI_AMI_SECRET against the PBX's manager.conf.`;
          this.log.error({ code: 'CTI_ERR_PBX_LOGIN_FAILED' }, this.lastError);
          this.setState('login_failed');
          closed = true;
          m.removeAllListeners();
          m.on('error', () => {});
          m.disconnect();
          this.mgr = null;
          this.scheduleReconnect('login refused', 30_000);
          return;
        }
        const reconnect = this.everReady;
        this.everReady = true;
        this.attempt = 0;
        this.lastError = null;
        this.setState('connected');
        this.log.info({ reconnect }, 'AMI connected');
        this.emit('ready', { reconnect });
      });
    });
  }

  private scheduleReconnect(why: string, atLeast = 0): void {
    if (this.stopped || this.timer) return;
    const delay = Math.max(atLeast, backoffDelay(this.attempt++));
    this.log.warn({ why, delay }, 'AMI down; reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  private onRaw(raw: RawAmiEvent): void {
    // FullyBooted and a few other session events carry no Timestamp even with timestampevents=yes.
    if (!this.warnedNoTimestamp && raw['timestamp'] === undefined && raw['event'] === 'Newchannel') {
      this.warnedNoTimestamp = true;
      this.log.warn('AMI events carry no Timestamp: set timestampevents=yes in manager.conf; using arrival times');
    }
    const e = toPbxEvent(raw);
    if (e) this.emit('event', e);
  }

  /** Send one action; rejects with CTI_ERR_PBX_TIMEOUT after actionTimeoutMs. */
  action(req: Record<string, unknown>, timeoutMs = this.opts.actionTimeoutMs): Promise<RawAmiEvent> {
    const m = this.mgr;
    if (!m || this._state !== 'connected') return Promise.reject(new CtiError('CTI_ERR_PBX_UNAVAILABLE'));
    return new Promise((resolve, reject) => {
      let done = false;
      const cb = (err: unknown, res?: RawAmiEvent) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        if (err) reject(new CtiError('CTI_ERR_BAD_REQUEST', `AMI ${String(req['action'])}: ${String((err as RawAmiEvent)['message'] ?? 'error')}`));
        else resolve(res ?? {});
      };
      const id = m.action(req, cb);
      const t = setTimeout(() => {
        if (done) return;
        done = true;
        m.removeListener(id, cb);
        reject(new CtiError('CTI_ERR_PBX_TIMEOUT', `AMI ${String(req['action'])} got no answer in ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /** CoreShowChannels: every channel alive now. */
  liveChannels(timeoutMs = this.opts.actionTimeoutMs): Promise<LiveChannel[]> {
    return this.listAction('CoreShowChannels', 'CoreShowChannel', toLiveChannel, timeoutMs);
  }

  /**
   * DeviceStateList (res_manager_devicestate, Asterisk 13+): every device's state now, as a series of
   * DeviceStateChange events. Privilege call or reporting: the `cti` user's write=reporting covers it.
   */
  deviceStates(timeoutMs = this.opts.actionTimeoutMs): Promise<DeviceStatus[]> {
    return this.listAction('DeviceStateList', 'DeviceStateChange', toDeviceStatus, timeoutMs);
  }

  /**
   * QueueStatus (app_queue): every queue (QueueParams), its members (QueueMember) and its callers
   * (QueueEntry), to start the live board's queue panel from after a (re)connect. app_queue registers it
   * with privilege 0 (ast_manager_register_xml("QueueStatus", 0, ...)): any logged-in AMI user may send
   * it, and its answer goes to that session whatever its read classes, so it needs no write right.
   */
  async queueStatus(timeoutMs = this.opts.actionTimeoutMs): Promise<QueueStatusEntry[]> {
    const raw = await this.listAction('QueueStatus', ['QueueParams', 'QueueMember', 'QueueEntry'], (r) => r, timeoutMs);
    return toQueueStatus(raw);
  }

  /**
   * An AMI list action: the response says "EventList: start", then one event per item carrying our
   * ActionID, then `<Action>Complete` (e.g. CoreShowChannelsComplete). Collects the items.
   */
  private listAction<T>(action: string, itemEvent: string | string[], map: (raw: RawAmiEvent) => T, timeoutMs: number): Promise<T[]> {
    const items = new Set(Array.isArray(itemEvent) ? itemEvent : [itemEvent]);
    const m = this.mgr;
    if (!m || this._state !== 'connected') return Promise.reject(new CtiError('CTI_ERR_PBX_UNAVAILABLE'));
    const actionId = `cti-${action}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const completeEvent = `${action}Complete`;
    const out: T[] = [];
    return new Promise((resolve, reject) => {
      const onEvent = (raw: RawAmiEvent) => {
        if (raw['actionid'] !== actionId) return;
        if (items.has(String(raw['event']))) out.push(map(raw));
        else if (raw['event'] === completeEvent) finish(null);
      };
      const finish = (err: Error | null) => {
        clearTimeout(t);
        m.removeListener('managerevent', onEvent);
        if (err) reject(err);
        else resolve(out);
      };
      const t = setTimeout(() => finish(new CtiError('CTI_ERR_PBX_TIMEOUT', `AMI ${action} got no answer in ${timeoutMs} ms`)), timeoutMs);
      m.on('managerevent', onEvent);
      m.action({ action, actionid: actionId }, (err: unknown) => {
        if (err) finish(new CtiError('CTI_ERR_PBX_UNAVAILABLE', `AMI ${action} refused: ${String((err as RawAmiEvent)['message'] ?? '')}`));
      });
    });
  }
}
