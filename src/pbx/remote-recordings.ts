// The PBX's recordings over the network, when the service does not share its disk (docs/remote-pbx.md):
// the PBX serves its monitor directory read-only over HTTPS (docs/asterisk-recordings.nginx.conf), and
// only a client holding the certificate its CA issued for this service may fetch (mutual TLS). The
// service checks the user's rights first (src/calls/queries.ts) and relays the PBX's bytes, Range included.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';

export interface RemoteRecordingsConfig {
  /** The recordings' base URL on the PBX, e.g. https://pbx.example:8443/recordings/ (CTI_PBX_RECORDINGS_URL). */
  url: string;
  /** PEM files: the CA that issued the PBX's server certificate (and ours), our certificate and key. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** How long a request may wait for the PBX's answer. */
  timeoutMs?: number;
}

/** What the PBX answered to a GET: its status, the headers a relay passes on, and the body. */
export interface RemoteAnswer {
  status: number;
  contentLength: string | null;
  contentRange: string | null;
  body: IncomingMessage;
}

/** The PBX could not be asked (refused, timed out, TLS refused): the caller says "unavailable". */
export class RecordingsUnreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecordingsUnreachable';
  }
}

export class RemoteRecordings {
  private readonly agent: https.Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(c: RemoteRecordingsConfig) {
    this.base = new URL(c.url.endsWith('/') ? c.url : `${c.url}/`);
    this.timeoutMs = c.timeoutMs ?? 5000;
    // Our CA only: the PBX's certificate must be one it issued (a public CA's would not do), for the
    // address in the URL (checked as https checks any host name or IP address).
    this.agent = new https.Agent({
      ca: readFileSync(c.caFile), cert: readFileSync(c.certFile), key: readFileSync(c.keyFile),
      keepAlive: true, maxSockets: 8, minVersion: 'TLSv1.2',
    });
  }

  /** The URL of a recording from its name's steps (src/calls/recording.ts recordingParts), each encoded. */
  urlOf(parts: readonly string[]): URL {
    return new URL(parts.map((p) => encodeURIComponent(p)).join('/'), this.base);
  }

  /**
   * GET the recording, with `range` (one "bytes=a-b") when given. Resolves with whatever status the PBX
   * answered; rejects with RecordingsUnreachable when it could not be asked.
   */
  get(parts: readonly string[], range: string | null = null): Promise<RemoteAnswer> {
    const url = this.urlOf(parts);
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method: 'GET', agent: this.agent, headers: range ? { range } : {} }, (res) => {
        const h = (k: string): string | null => { const v = res.headers[k]; return typeof v === 'string' ? v : null; };
        resolve({ status: res.statusCode ?? 0, contentLength: h('content-length'), contentRange: h('content-range'), body: res });
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.once('error', (err) => reject(new RecordingsUnreachable(`the PBX's recordings server (${url.origin}): ${err.message}`, { cause: err })));
      req.end();
    });
  }

  /**
   * The recording's first `bytes` bytes and its whole size (a Range GET: the 206's Content-Range names the
   * size), to know it is there and how long it plays. null: the PBX has no such file (404, or empty: 416).
   */
  async head(parts: readonly string[], bytes: number): Promise<{ head: Buffer; size: number } | null> {
    const r = await this.get(parts, `bytes=0-${bytes - 1}`);
    const chunks: Buffer[] = [];
    try {
      for await (const c of r.body) chunks.push(c as Buffer);
    } catch (err) {
      throw new RecordingsUnreachable(`the PBX's recordings server: ${(err as Error).message}`, { cause: err });
    }
    if (r.status === 404 || r.status === 416) return null;
    const body = Buffer.concat(chunks);
    if (r.status === 200) return { head: body.subarray(0, bytes), size: body.length };
    const total = r.status === 206 ? /\/(\d+)$/.exec(r.contentRange ?? '')?.[1] : undefined;
    if (total === undefined) throw new RecordingsUnreachable(`the PBX's recordings server answered ${r.status}`);
    return { head: body, size: Number(total) };
  }

  close(): void {
    this.agent.destroy();
  }
}
