// ARI connection over ari-client: the service's Stasis application. ari-client retries its websocket
// only about 43 s and then gives up (WebSocketMaxRetries); we then drop the client and start again
// from scratch with our own backoff, forever.
import { createRequire } from 'node:module';
import ari, { type AriClient } from 'ari-client';
import type { Logger } from '../lib/logger.js';
import { backoffDelay } from '../lib/backoff.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import type { ConnectionState } from './events.js';
import { routeSwaggerLog } from './swagger-log.js';

// swagger-client 2.0 (under ari-client) keeps ONE set of credentials for the whole process
// (swagger.authorizations, a module singleton, key 'basic-auth'): every ari.connect() replaces it, so with
// several PBXs each one's REST calls (continue, originate, endpoints) would carry the last connected
// PBX's password and get 401. The credentials are kept here by the ARI server's host:port instead, and
// set on every request after swagger's own, so each request carries its own PBX's.
const swagger = createRequire(createRequire(import.meta.url).resolve('ari-client'))('swagger-client') as {
  authorizations: { apply(obj: { url: string; headers: Record<string, string> }, authorizations?: unknown): unknown };
};
const credentialsByHost = new Map<string, string>();
let perHost = false;
function authorizeHost(url: string, user: string, password: string): void {
  credentialsByHost.set(new URL(url).host, `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
  if (perHost) return;
  perHost = true;
  const auth = swagger.authorizations;
  const own = auth.apply.bind(auth);
  auth.apply = (obj, authorizations) => {
    const result = own(obj, authorizations);
    let host: string | null = null;
    try {
      host = new URL(obj.url).host;
    } catch { /* not a URL: swagger's own header stays */ }
    const basic = host === null ? undefined : credentialsByHost.get(host);
    if (basic) obj.headers['Authorization'] = basic;
    return result;
  };
}

export interface AriOptions {
  url: string;
  user: string;
  password: string;
  app: string;
}

type AriEvents = {
  state: (s: ConnectionState) => void;
  ready: (client: AriClient) => void;
};

export class AriConnection extends TypedEmitter<AriEvents> {
  private client: AriClient | null = null;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private _state: ConnectionState = 'disconnected';
  private lastError: string | null = null;

  constructor(private readonly opts: AriOptions, private readonly log: Logger) {
    super();
    routeSwaggerLog(log);
  }

  get state(): ConnectionState {
    return this._state;
  }
  get error(): string | null {
    return this.lastError;
  }
  get current(): AriClient | null {
    return this._state === 'connected' ? this.client : null;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.drop();
    this.setState('disconnected');
  }

  private setState(s: ConnectionState): void {
    if (s === this._state) return;
    this._state = s;
    this.emit('state', s);
  }

  private drop(): void {
    const c = this.client;
    this.client = null;
    if (!c) return;
    c.removeAllListeners();
    try {
      c.stop();
    } catch {
      /* already closed */
    }
  }

  /**
   * ari-client (through swagger-client) throws an uncaught exception on a 401, which would kill the
   * process: check the credentials with one plain request first.
   */
  private async probe(): Promise<void> {
    const auth = Buffer.from(`${this.opts.user}:${this.opts.password}`).toString('base64');
    const r = await fetch(new URL('/ari/asterisk/info', this.opts.url), {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(5000),
    });
    if (r.status === 401 || r.status === 403) throw new Error(`${r.status} Unauthorized`);
    if (!r.ok) throw new Error(`HTTP ${r.status} from ${this.opts.url}/ari/asterisk/info (is ARI enabled in http.conf and ari.conf?)`);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    try {
      await this.probe();
      authorizeHost(this.opts.url, this.opts.user, this.opts.password);
      const c = await ari.connect(this.opts.url, this.opts.user, this.opts.password);
      if (this.stopped) {
        c.stop();
        return;
      }
      this.client = c;
      c.on('WebSocketConnected', () => {
        this.attempt = 0;
        this.lastError = null;
        this.setState('connected');
        this.log.info('ARI connected');
        this.emit('ready', c);
      });
      c.on('WebSocketReconnecting', (err?: Error) => {
        this.lastError = err?.message ?? 'websocket closed';
        this.setState('connecting');
      });
      c.on('WebSocketMaxRetries', (err?: Error) => {
        this.lastError = err?.message ?? 'websocket gave up';
        this.failed('websocket retries exhausted');
      });
      await c.start(this.opts.app);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.lastError = /401|403|Unauthorized/i.test(msg)
        ? `ARI refused user '${this.opts.user}' at ${this.opts.url}: check CTI_ARI_USER and CTI_ARI_PASSWORD against ari.conf`
        : `ARI connect to ${this.opts.url} failed: ${msg}`;
      this.failed(this.lastError);
    }
  }

  private failed(why: string): void {
    this.drop();
    if (this.stopped || this.timer) return;
    this.setState('disconnected');
    const delay = backoffDelay(this.attempt++);
    this.log.warn({ why, delay }, 'ARI down; reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }
}
