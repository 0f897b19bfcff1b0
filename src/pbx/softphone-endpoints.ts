// Browser phones' PJSIP endpoints, pushed into Asterisk over ARI ("ARI Push Configuration",
// PUT/DELETE /ari/asterisk/config/dynamic/res_pjsip/{endpoint|aor|auth}/{id}). Asterisk keeps them in
// sorcery's memory wizard (dialplan/sorcery_cti.conf), so they vanish when Asterisk restarts: the
// service pushes them again after every ARI (re)connect. The endpoint is named by the extension, so
// Dial(PJSIP/<ext>), click-to-call, the call log and recordings see a browser phone like a desk phone.
// This file knows ARI's JSON; src/softphone only hands it BrowserEndpoint values.
import type { Logger } from '../lib/logger.js';

export interface BrowserEndpoint {
  extension: string;
  password: string;
  displayName: string;
}

export interface SoftphoneEndpointsOptions {
  ariUrl: string;
  user: string;
  password: string;
  /** Extra or overriding endpoint options (CTI_SOFTPHONE_ENDPOINT), e.g. media_address for NAT. */
  endpointOptions: Record<string, string>;
}

/** Parses `name=value;name=value` (CTI_SOFTPHONE_ENDPOINT). */
export function parseEndpointOptions(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/**
 * The endpoint Asterisk's WebRTC guide asks for ("Configuring Asterisk for WebRTC Clients"): webrtc=yes
 * turns on AVPF, DTLS-SRTP (fingerprint verify), ICE, rtcp-mux and media over the received transport;
 * an ephemeral DTLS certificate saves shipping one. Context cti-phones: the same dialplan as desk phones.
 */
function endpointFields(ep: BrowserEndpoint, extra: Record<string, string>): Record<string, string> {
  const name = ep.displayName.replace(/["<>\\]/g, '').slice(0, 64);
  return {
    transport: 'cti-ws',
    context: 'cti-phones',
    webrtc: 'yes',
    dtls_auto_generate_cert: 'yes',
    disallow: 'all',
    allow: 'opus,ulaw,alaw',
    aors: ep.extension,
    auth: ep.extension,
    callerid: `"${name}" <${ep.extension}>`,
    direct_media: 'no',
    force_rport: 'yes',
    rewrite_contact: 'yes',
    rtp_symmetric: 'yes',
    allow_transfer: 'yes',
    ...extra,
  };
}

export class PbxConfigError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'PbxConfigError';
  }
}

export class SoftphoneEndpoints {
  private readonly auth: string;

  constructor(private readonly opts: SoftphoneEndpointsOptions, private readonly log: Logger) {
    this.auth = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
  }

  private async request(method: 'PUT' | 'DELETE', type: 'endpoint' | 'aor' | 'auth', id: string, fields?: Record<string, string>): Promise<number> {
    const url = new URL(`/ari/asterisk/config/dynamic/res_pjsip/${type}/${encodeURIComponent(id)}`, this.opts.ariUrl);
    const r = await fetch(url, {
      method,
      headers: { authorization: this.auth, ...(fields ? { 'content-type': 'application/json' } : {}) },
      body: fields ? JSON.stringify({ fields: Object.entries(fields).map(([attribute, value]) => ({ attribute, value })) }) : undefined,
      signal: AbortSignal.timeout(5000),
    });
    const text = await r.text();
    if (method === 'DELETE' && r.status === 404) return 404;
    if (!r.ok) {
      // 403 from a PUT: an object of that name lives in a read-only wizard (pjsip.conf), or sorcery.conf
      // gives res_pjsip no writable wizard for this type.
      const why = r.status === 403 && method === 'PUT'
        ? `Asterisk refused to write ${type} ${id}: is it also in pjsip.conf, and does sorcery.conf map ${type} to the memory wizard (dialplan/sorcery_cti.conf)?`
        : `ARI ${method} ${type}/${id}: HTTP ${r.status} ${text.slice(0, 200)}`;
      throw new PbxConfigError(why, r.status);
    }
    return r.status;
  }

  /** Creates or replaces the browser phone of this extension (auth, aor, then the endpoint naming them). */
  async put(ep: BrowserEndpoint): Promise<void> {
    await this.request('PUT', 'auth', ep.extension, { auth_type: 'userpass', username: ep.extension, password: ep.password });
    // Several tabs (or a tab and a reloaded one) may register at once: every one rings, the first to
    // answer takes the call. remove_existing drops the oldest when a fourth registers.
    await this.request('PUT', 'aor', ep.extension, { max_contacts: '3', remove_existing: 'yes' });
    const fields = endpointFields(ep, this.opts.endpointOptions);
    try {
      await this.request('PUT', 'endpoint', ep.extension, fields);
    } catch (err) {
      // Asterisk 22 cannot update an endpoint in the memory wizard in place ("Allocation failed", 500):
      // replace it. Its registrations live on the aor, so the page stays registered.
      if (!(err instanceof PbxConfigError) || err.status !== 500) throw err;
      await this.request('DELETE', 'endpoint', ep.extension);
      await this.request('PUT', 'endpoint', ep.extension, fields);
    }
    this.log.info({ extension: ep.extension }, 'browser phone endpoint provisioned');
  }

  /** Removes the browser phone of this extension; absent (or static, read-only) objects are left alone. */
  async remove(extension: string): Promise<void> {
    for (const type of ['endpoint', 'aor', 'auth'] as const) {
      try {
        await this.request('DELETE', type, extension);
      } catch (err) {
        // A desk phone's objects come from pjsip.conf: sorcery cannot delete them, and must not.
        if (err instanceof PbxConfigError && err.status === 403) continue;
        throw err;
      }
    }
  }
}
