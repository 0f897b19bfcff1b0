// The browser phone's SIP credentials. The password is HMAC-SHA256(CTI_SIP_SECRET, user id + rotation):
// nothing secret is stored (a copy of the database gives no PBX access), the service can re-provision
// Asterisk after a restart from the user list alone, and bumping the rotation (new login password, new
// extension) changes it. Handed out only to the logged-in browser of the user themself.
import { MAIN_PBX } from '../pbx/pbx-id.js';
import type { PbxSettings } from '../pbx/pbxes.js';
import { createHmac } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first } from '../db/query.js';
import { users } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import type { Actor } from '../users/users.js';

export interface SoftphoneSettings {
  /** CTI_SIP_SECRET; null: the browser phone is off on this server. */
  secret: string | null;
  wsUrl: string;
  domain: string;
  iceServers: readonly { urls: string | string[]; username?: string; credential?: string }[];
}

/** What the page's SIP user agent needs (GET /api/v1/auth/me/sip). */
export interface SipCredentials {
  extension: string;
  /** SIP digest user name (the extension). */
  username: string;
  password: string;
  /** sip:<extension>@<domain> */
  aor: string;
  domain: string;
  wsUrl: string;
  displayName: string;
  iceServers: SoftphoneSettings['iceServers'];
}

export function sipPassword(secret: string, userId: string, rotation: number): string {
  return createHmac('sha256', secret).update(`cti-sip:${userId}:${rotation}`).digest('base64url').slice(0, 32);
}

/** ws://host:port/ws on the ARI host (Asterisk serves SIP over websockets on its HTTP server, http.conf). */
export function defaultWsUrl(ariUrl: string): string {
  const u = new URL(ariUrl);
  return `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}/ws`;
}

export function softphoneSettings(config: {
  CTI_SIP_SECRET?: string | undefined; CTI_SOFTPHONE_WS_URL?: string | undefined; CTI_SOFTPHONE_SIP_DOMAIN?: string | undefined;
  CTI_SOFTPHONE_ICE_SERVERS: SoftphoneSettings['iceServers']; CTI_ARI_URL: string;
}): SoftphoneSettings {
  const wsUrl = config.CTI_SOFTPHONE_WS_URL ?? defaultWsUrl(config.CTI_ARI_URL);
  return {
    secret: config.CTI_SIP_SECRET ?? null,
    wsUrl,
    domain: config.CTI_SOFTPHONE_SIP_DOMAIN ?? new URL(wsUrl).hostname,
    iceServers: config.CTI_SOFTPHONE_ICE_SERVERS,
  };
}

/**
 * Each PBX's browser-phone settings (src/pbx/pbxes.ts): its websocket (the file's softphoneWsUrl, else
 * ws:// on its ARI host) and its SIP domain; the secret and ICE servers are the deployment's. main's are
 * softphoneSettings(config) as before.
 */
export function softphoneSettingsByPbx(config: Parameters<typeof softphoneSettings>[0], pbxes: readonly PbxSettings[]): Map<string, SoftphoneSettings> {
  const main = softphoneSettings(config);
  return new Map(pbxes.map((p) => {
    if (p.id === MAIN_PBX) return [p.id, main];
    const wsUrl = p.softphoneWsUrl ?? (p.ari ? defaultWsUrl(p.ari.url) : null);
    return [p.id, wsUrl ? { ...main, wsUrl, domain: new URL(wsUrl).hostname } : { ...main, secret: null }];
  }));
}

export interface CredentialsContext {
  db: Db;
  actor: Actor;
  /** How the actor logged in: only the browser's own session gets SIP credentials, never an API token. */
  authBy: 'token' | 'session' | null;
  /** The settings of the user's PBX (main's when given alone). */
  settings: SoftphoneSettings | ReadonlyMap<string, SoftphoneSettings>;
}

/** The caller's own SIP credentials; there is no way to name another user. */
export async function ownSipCredentials(ctx: CredentialsContext): Promise<SipCredentials> {
  if (ctx.authBy !== 'session') throw new CtiError('CTI_ERR_FORBIDDEN', 'SIP credentials go only to the logged-in browser, not to API tokens');
  const row = await first(ctx.db.select().from(users).where(eq(users.id, ctx.actor.id)).limit(1));
  if (!row) throw new CtiError('CTI_ERR_UNAUTHORIZED');
  if (row.phoneMode !== 'browser' || !row.extension) throw new CtiError('CTI_ERR_NOT_BROWSER_PHONE');
  const settings = ctx.settings instanceof Map ? ctx.settings.get(row.pbxId) : ctx.settings as SoftphoneSettings;
  if (!settings?.secret) throw new CtiError('CTI_ERR_SOFTPHONE_DISABLED');
  const { domain, wsUrl, iceServers } = settings;
  return {
    extension: row.extension, username: row.extension, password: sipPassword(settings.secret, row.id, row.sipRotation),
    aor: `sip:${row.extension}@${domain}`, domain, wsUrl, displayName: row.name, iceServers,
  };
}
