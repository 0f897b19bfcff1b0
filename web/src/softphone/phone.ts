// The browser phone: a SIP.js user agent registered over a websocket as the user's own extension, with
// the credentials the service hands to this logged-in page only (GET /api/v1/auth/me/sip). No Preact
// here: the panel (softphone.tsx) renders what this object says. Two state machines:
//
//   registration: off ─► connecting ─► registered ─┬─ websocket drop / REGISTER refused ─► retrying ─► connecting
//                                                  └─ stop() (logout) ─► off
//   call:         idle ─► incoming ─► active ─► idle        (answer / decline; hang up or the far end ends it)
//                 idle ─► outgoing ─► active ─► idle        (call; held and muted are flags of active)
//
// Recovery: every failure retries with backoff (1 s doubling to 30 s), a reconnect comes at once when the
// browser is back online, and a refused REGISTER (Asterisk restarted and the service has not pushed our
// endpoint yet, or an admin rotated the password) starts over with fresh credentials.
import {
  Invitation, Inviter, Registerer, RegistererState, SessionState, UserAgent, Web, type Session,
} from 'sip.js';
import { api, ApiError } from '../api.js';

export interface SipCredentials {
  extension: string;
  username: string;
  password: string;
  aor: string;
  domain: string;
  wsUrl: string;
  displayName: string;
  iceServers: RTCIceServer[];
}

export type RegistrationState = 'off' | 'connecting' | 'registered' | 'retrying' | 'disabled';
export type CallState = 'idle' | 'incoming' | 'outgoing' | 'active';

export interface PhoneSnapshot {
  registration: RegistrationState;
  /** Seconds until the next attempt while retrying. */
  retryInSeconds: number | null;
  /** Why the last attempt failed (a SIP status or a word), for the panel. */
  lastError: string | null;
  extension: string | null;
  call: CallState;
  /** The other party's number (and name, when the PBX sends one). */
  remote: { number: string; name: string | null } | null;
  answeredAt: number | null;
  muted: boolean;
  held: boolean;
  /** A click-to-call ring this page asked for: answered without a prompt. */
  autoAnswered: boolean;
  transfer: 'idle' | 'sending' | 'failed';
}

const IDLE_CALL = { call: 'idle' as CallState, remote: null, answeredAt: null, muted: false, held: false, autoAnswered: false, transfer: 'idle' as const };
const C2C_HEADER = 'X-CTI-Request';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BrowserPhone {
  private ua: UserAgent | null = null;
  private registerer: Registerer | null = null;
  private creds: SipCredentials | null = null;
  private session: Session | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private generation = 0;
  private readonly listeners = new Set<(s: PhoneSnapshot) => void>();
  /** Click-to-call request ids this page started (the INVITE may come before the POST's answer). */
  private readonly expected = new Set<string>();
  private state: PhoneSnapshot = { registration: 'off', retryInSeconds: null, lastError: null, extension: null, ...IDLE_CALL };
  private readonly onOnline = () => { if (this.state.registration === 'retrying') this.retryNow(); };
  inputDeviceId: string | null = null;
  outputDeviceId: string | null = null;

  constructor(private readonly audio: HTMLAudioElement) {}

  get snapshot(): PhoneSnapshot {
    return this.state;
  }

  subscribe(fn: (s: PhoneSnapshot) => void): () => void {
    this.listeners.add(fn);
    fn(this.state);
    return () => { this.listeners.delete(fn); };
  }

  private set(patch: Partial<PhoneSnapshot>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  // ---------------------------------------------------------------- registration

  start(): void {
    this.stopped = false;
    addEventListener('online', this.onOnline);
    void this.connect();
  }

  /** Logout or unmount: unregister, hang up, close the websocket. */
  async stop(): Promise<void> {
    this.stopped = true;
    removeEventListener('online', this.onOnline);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.teardown(true);
    this.set({ registration: 'off', retryInSeconds: null, ...IDLE_CALL });
  }

  private async teardown(unregister: boolean): Promise<void> {
    this.generation++;
    const ua = this.ua;
    const reg = this.registerer;
    this.ua = null;
    this.registerer = null;
    if (this.session) this.hangup();
    try {
      if (unregister && reg && reg.state === RegistererState.Registered) await Promise.race([reg.unregister(), sleep(1000)]);
    } catch { /* the PBX forgets us when the socket closes anyway */ }
    try {
      await ua?.stop();
    } catch { /* already closed */ }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    this.set({ registration: 'connecting', retryInSeconds: null });
    let creds: SipCredentials;
    try {
      creds = await api.get<SipCredentials>('/api/v1/auth/me/sip');
    } catch (e) {
      // 409: the admin switched us to a desk phone; 503: the server has no browser phone. No retry.
      if (e instanceof ApiError && (e.status === 409 || e.status === 503 || e.status === 401)) {
        this.set({ registration: 'disabled', lastError: e.code });
        return;
      }
      return this.retry(e instanceof ApiError ? e.code : String(e));
    }
    if (gen !== this.generation || this.stopped) return;
    this.creds = creds;
    const uri = UserAgent.makeURI(creds.aor);
    if (!uri) return this.retry('bad address');
    const ua = new UserAgent({
      uri,
      displayName: creds.displayName,
      authorizationUsername: creds.username,
      authorizationPassword: creds.password,
      transportOptions: { server: creds.wsUrl, connectionTimeout: 5 },
      // Reconnecting is ours (below): with backoff and forever (SIP.js's own is off by default).
      logLevel: 'warn',
      sessionDescriptionHandlerFactoryOptions: {
        peerConnectionConfiguration: { iceServers: creds.iceServers },
        // Host candidates come at once; with STUN/TURN servers, wait a little for theirs.
        iceGatheringTimeout: creds.iceServers.length ? 2000 : 500,
      },
      delegate: {
        onInvite: (inv) => this.onInvite(inv),
        onDisconnect: (err) => {
          if (gen !== this.generation || this.stopped) return;
          if (err) this.retry('connection lost');
        },
      },
    });
    this.ua = ua;
    try {
      await ua.start();
    } catch {
      if (gen === this.generation) this.retry('cannot reach the PBX');
      return;
    }
    const reg = new Registerer(ua, { expires: 300 });
    this.registerer = reg;
    reg.stateChange.addListener((s) => {
      if (gen !== this.generation) return;
      if (s === RegistererState.Registered) {
        this.attempt = 0;
        this.set({ registration: 'registered', retryInSeconds: null, lastError: null, extension: creds.extension });
      } else if (s === RegistererState.Unregistered && !this.stopped && this.state.registration === 'registered') {
        this.retry('registration lost');
      }
    });
    try {
      await reg.register({
        requestDelegate: {
          onReject: (res) => { if (gen === this.generation) this.retry(`REGISTER ${res.message.statusCode}`); },
        },
      });
    } catch {
      if (gen === this.generation) this.retry('REGISTER failed');
      return;
    }
    // An Asterisk still booting takes the websocket but may never answer: do not sit out SIP's 32 s
    // transaction timeout (RFC 3261 Timer F), start over sooner.
    setTimeout(() => {
      if (gen === this.generation && this.state.registration === 'connecting') this.retry('no answer to REGISTER');
    }, 6000);
  }

  private retry(why: string): void {
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(this.attempt++, 5)) * (0.8 + Math.random() * 0.4);
    this.set({ registration: 'retrying', retryInSeconds: Math.round(delay / 1000), lastError: why });
    // A call in progress keeps its media; only the signalling is rebuilt (a new socket, a new REGISTER).
    const keepCall = this.session !== null;
    void (keepCall ? Promise.resolve() : this.teardown(false));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.reconnect();
    }, delay);
  }

  private retryNow(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    // Same user agent while a call lasts (its dialog lives in it), else start over with fresh credentials.
    if (this.ua && this.session && this.registerer) {
      const gen = this.generation;
      this.set({ registration: 'connecting', retryInSeconds: null });
      try {
        await this.ua.reconnect();
        await this.registerer.register();
        return;
      } catch {
        if (gen === this.generation) this.retry('cannot reach the PBX');
        return;
      }
    }
    await this.teardown(false);
    await this.connect();
  }

  // ---------------------------------------------------------------- calls

  /** The click-to-call component says which request is ours; a ring carrying it is answered at once. */
  expectClickToCall(requestId: string): void {
    this.expected.add(requestId);
    setTimeout(() => this.expected.delete(requestId), 60_000);
    const s = this.session;
    if (s instanceof Invitation && this.state.call === 'incoming' && s.request.getHeader(C2C_HEADER) === requestId) void this.answer(true);
  }

  private onInvite(inv: Invitation): void {
    if (this.session) {
      // One call at a time: the PBX tries the next target (or the caller hears busy).
      void inv.reject({ statusCode: 486 });
      return;
    }
    this.track(inv);
    const from = inv.remoteIdentity;
    this.set({ call: 'incoming', remote: { number: from.uri.user ?? '', name: from.displayName || null } });
    const req = inv.request.getHeader(C2C_HEADER);
    if (req && this.expected.has(req)) void this.answer(true);
  }

  private track(s: Session): void {
    this.session = s;
    s.stateChange.addListener((st) => {
      if (this.session !== s) return;
      if (st === SessionState.Established) {
        this.attachMedia(s);
        this.set({ call: 'active', answeredAt: Date.now() });
      } else if (st === SessionState.Terminated) {
        this.session = null;
        this.audio.srcObject = null;
        this.set({ ...IDLE_CALL });
        // The socket dropped during the call and we kept the old agent: now rebuild it cleanly.
        if (this.state.registration === 'retrying' && this.retryTimer === null) this.retryNow();
      }
    });
  }

  private mediaOptions() {
    return { constraints: { audio: this.inputDeviceId ? { deviceId: { exact: this.inputDeviceId } } : true, video: false } };
  }

  private attachMedia(s: Session): void {
    const sdh = s.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
    if (!sdh) return;
    this.audio.srcObject = sdh.remoteMediaStream;
    void this.applyOutput();
    void this.audio.play().catch(() => undefined);
  }

  async answer(auto = false): Promise<void> {
    const s = this.session;
    if (!(s instanceof Invitation) || this.state.call !== 'incoming') return;
    this.set({ autoAnswered: auto });
    try {
      await s.accept({ sessionDescriptionHandlerOptions: this.mediaOptions() });
    } catch {
      this.set({ ...IDLE_CALL });
    }
  }

  decline(): void {
    const s = this.session;
    if (s instanceof Invitation && s.state === SessionState.Initial) void s.reject({ statusCode: 486 }).catch(() => undefined);
  }

  async call(number: string): Promise<void> {
    if (!this.ua || !this.creds || this.session || this.state.registration !== 'registered') return;
    const target = UserAgent.makeURI(`sip:${number.replace(/[^0-9+*#]/g, '')}@${this.creds.domain}`);
    if (!target) return;
    const inviter = new Inviter(this.ua, target, { sessionDescriptionHandlerOptions: this.mediaOptions() });
    this.track(inviter);
    this.set({ call: 'outgoing', remote: { number, name: null } });
    try {
      await inviter.invite();
    } catch {
      this.session = null;
      this.set({ ...IDLE_CALL });
    }
  }

  hangup(): void {
    const s = this.session;
    if (!s) return;
    if (s instanceof Inviter && (s.state === SessionState.Initial || s.state === SessionState.Establishing)) void s.cancel().catch(() => undefined);
    else if (s instanceof Invitation && s.state === SessionState.Initial) void s.reject().catch(() => undefined);
    else if (s.state === SessionState.Established) void s.bye().catch(() => undefined);
  }

  private senders(on: boolean): void {
    (this.session?.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined)?.enableSenderTracks(on);
  }

  setMuted(muted: boolean): void {
    if (this.state.call !== 'active') return;
    this.senders(!muted && !this.state.held);
    this.set({ muted });
  }

  /** Hold by re-INVITE (a=sendonly, RFC 3264 section 8.4): Asterisk plays music on hold to the other party. */
  async setHeld(held: boolean): Promise<void> {
    const s = this.session;
    if (!s || this.state.call !== 'active' || held === this.state.held) return;
    const options = { sessionDescriptionHandlerOptions: { hold: held } as Web.SessionDescriptionHandlerOptions };
    s.sessionDescriptionHandlerOptionsReInvite = options.sessionDescriptionHandlerOptions;
    await new Promise<void>((resolve, reject) => {
      void s.invite({
        ...options,
        requestDelegate: { onAccept: () => resolve(), onReject: () => reject(new Error('hold refused')) },
      }).catch(reject);
    });
    this.senders(!held && !this.state.muted);
    this.set({ held });
  }

  /** DTMF in the media (RFC 4733), or SIP INFO when the browser cannot. */
  sendDtmf(tone: string): void {
    const s = this.session;
    if (!s || this.state.call !== 'active' || !/^[0-9*#A-D]$/.test(tone)) return;
    const sdh = s.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
    if (sdh?.sendDtmf(tone)) return;
    void s.info({ requestOptions: { body: { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: `Signal=${tone}\r\nDuration=160` } } }).catch(() => undefined);
  }

  /** Blind transfer (REFER, RFC 3515): Asterisk dials the target from our context, like a desk phone's. */
  async transfer(target: string): Promise<void> {
    const s = this.session;
    const digits = target.replace(/[^0-9+]/g, '');
    if (!s || !this.creds || this.state.call !== 'active' || !digits) return;
    const uri = UserAgent.makeURI(`sip:${digits}@${this.creds.domain}`);
    if (!uri) return;
    this.set({ transfer: 'sending' });
    try {
      await new Promise<void>((resolve, reject) => {
        void s.refer(uri, { requestDelegate: { onAccept: () => resolve(), onReject: () => reject(new Error('refused')) } }).catch(reject);
      });
      // Asterisk answers 202 once the blind transfer is done (res_pjsip_refer transfers before it
      // replies); our leg is then ours to end (RFC 5589 section 6: the transferor sends BYE).
      if (this.session === s) await s.bye().catch(() => undefined);
    } catch {
      this.set({ transfer: 'failed' });
    }
  }

  async setOutput(deviceId: string | null): Promise<void> {
    this.outputDeviceId = deviceId;
    await this.applyOutput();
  }

  private async applyOutput(): Promise<void> {
    const a = this.audio as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
    if (a.setSinkId) await a.setSinkId(this.outputDeviceId ?? '').catch(() => undefined);
  }

  /** A new microphone applies to the next call, and to this one at once (the track is replaced). */
  async setInput(deviceId: string | null): Promise<void> {
    this.inputDeviceId = deviceId;
    const pc = (this.session?.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined)?.peerConnection;
    if (!pc) return;
    const stream = await navigator.mediaDevices.getUserMedia(this.mediaOptions().constraints);
    const track = stream.getAudioTracks()[0];
    const sender = pc.getSenders().find((x) => x.track?.kind === 'audio');
    if (track && sender) {
      track.enabled = !this.state.muted && !this.state.held;
      await sender.replaceTrack(track);
    }
  }
}
