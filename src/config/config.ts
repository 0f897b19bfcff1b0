// Configuration: read once from the environment at startup, validated, frozen.
// A missing or bad value stops the process with a message naming the variable (see ConfigError).
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';
import { isTimeZone } from '../lib/timezone.js';
import { CEL_TABLE_NAME } from '../pbx/cel-table.js';

/** 10.0.0.5, 10.0.0.0/8, ::1, fd00::/8 (what proxy-addr, behind fastify's trustProxy, accepts). */
function isAddressOrCidr(s: string): boolean {
  const [addr, bits, extra] = s.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  return /^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** A comma list (spaces around items ignored); an empty item is a typo, not "nothing". */
function commaList(what: string, item: (s: string) => boolean) {
  return z.string().transform((s, ctx) => {
    const items = s.split(',').map((x) => x.trim());
    const bad = items.find((x) => !item(x));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `${bad === '' ? 'an empty item' : `'${bad}'`}: ${what}` });
      return z.NEVER;
    }
    return items;
  });
}
const dialPrefix = (x: string) => /^\+[0-9]{1,15}$/.test(x);
const dialRegion = (x: string) => /^[A-Z]{2}$/.test(x) && isSupportedCountry(x);

/** What every command needs: storage and logging. */
/** A file the service can read now (checked at startup: a path that is wrong stops it, naming the variable). */
export const readableFile = z.string().min(1).refine((f) => {
  try {
    accessSync(f, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}, 'a file this service can read');

const baseShape = {
  CTI_DB_FILE: z.string().min(1).default('./data/cti.sqlite'),
  /**
   * PostgreSQL instead of the SQLite file: postgres://user:password@host:5432/db (README "Scaling out").
   * Several instances of the service share one database only this way.
   */
  CTI_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/i, 'a postgres:// URL such as postgres://cti:secret@127.0.0.1:5432/cti').optional(),
  CTI_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CTI_DEFAULT_REGION: z.string().regex(/^[A-Z]{2}$/, 'a two-letter ISO country code such as RU').default('RU'),
  /** Calls this recent are re-matched when a contact is created or its numbers change. */
  CTI_CONTACTS_REMATCH_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  // --- which numbers may be dialled (src/calls/dial-policy.ts; also rendered into the dialplan by `cti dial-policy`)
  /** Countries (RU) or E.164 prefixes (+375) that may be dialled, or *; default: CTI_DEFAULT_REGION alone. */
  CTI_DIAL_ALLOW: commaList('a country code such as RU, a prefix such as +375, or *', (x) => x === '*' || dialRegion(x) || dialPrefix(x)).optional(),
  /** E.164 prefixes never dialled, whatever CTI_DIAL_ALLOW says (+7495,+44871). */
  CTI_DIAL_DENY: commaList('a prefix such as +7809 (a plus and digits)', dialPrefix).optional(),
  /** Click-to-calls a user may start in any 60 s; 0: no limit. */
  CTI_DIAL_RATE_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(10),
  /** Click-to-calls of one user in progress at once; 0: no limit. */
  CTI_DIAL_MAX_CONCURRENT: z.coerce.number().int().min(0).max(1000).default(2),
};

/** What the running service needs on top: HTTP, the PBX, recordings and Asterisk's own event log (CEL). */
const serviceShape = {
  ...baseShape,
  CTI_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  CTI_HTTP_PORT: port.default(3000),
  /**
   * Where users reach the service (https://cti.example.com behind a proxy): absolute links (the CSV's
   * recordings) are built from it, never from the request's Host header. Default: the HTTP host and port.
   */
  CTI_PUBLIC_URL: z.string().url().optional().refine((s) => {
    if (s === undefined) return true;
    const u = URL.parse(s);
    return !!u && (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !u.username && !u.password;
  }, 'an http:// or https:// URL without query, fragment or credentials (https://cti.example.com)'),
  /** What pages call the PBX of CTI_AMI_* (its id is `main`): an office, "Москва". */
  CTI_PBX_NAME: z.string().trim().min(1).max(60).default('PBX'),
  /**
   * More PBXs of the same deployment (src/pbx/pbxes.ts, docs/several-pbxs.md): a JSON list, secrets named
   * by the environment variable that holds them. Unset: the one PBX of CTI_AMI_*.
   */
  CTI_PBXS_FILE: readableFile.optional(),
  CTI_AMI_HOST: z.string().min(1).default('127.0.0.1'),
  CTI_AMI_PORT: port.default(5038),
  CTI_AMI_USER: z.string().min(1),
  CTI_AMI_SECRET: z.string().min(1),
  CTI_ARI_URL: z.string().url().default('http://127.0.0.1:8088'),
  /**
   * ARI carries our routing (the Stasis application) and the browser phones' endpoints. Unset both to
   * attach observe-only with an AMI user alone (a PBX whose dialplan routes its own calls): no routing,
   * no browser phones, and /healthz asks for AMI only.
   */
  CTI_ARI_USER: z.string().min(1).optional(),
  CTI_ARI_PASSWORD: z.string().min(1).optional(),
  CTI_ARI_APP: z.string().regex(/^[A-Za-z0-9_-]+$/).default('cti'),
  CTI_ACTION_TIMEOUT_MS: positiveInt.default(5000),
  /** Click-to-call: how long the manager's own phone rings before the call is given up (seconds). */
  CTI_CLICK_TO_CALL_RING_S: z.coerce.number().int().min(5).max(120).default(30),
  CTI_RECORDINGS_DIR: z.string().min(1).default('/var/spool/asterisk/monitor'),
  /**
   * Where Asterisk writes the recordings, as Asterisk sees it, when that differs from CTI_RECORDINGS_DIR
   * or the PBX files them in subfolders (FreePBX: /var/spool/asterisk/monitor, YYYY/MM/DD/...): a file
   * keeps its path below it. Unset: only the file's name counts (one flat folder, our own dialplan's).
   */
  CTI_PBX_RECORDINGS_DIR: z.string().regex(/^\//, 'an absolute path (as Asterisk sees it)').optional(),
  /**
   * The dialplan context click-to-call's Originate continues in once the manager answers: cti-click2call
   * (our dialplan, with the dial policy) or the PBX's own (FreePBX: from-internal, its outbound routes).
   */
  CTI_ORIGINATE_CONTEXT: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'a dialplan context name').default('cti-click2call'),
  CTI_CEL_FILE: z.string().min(1).default('/var/log/asterisk/cel-custom/cti.csv'),
  /**
   * The PBX on another host (docs/remote-pbx.md): the PostgreSQL its cel_pgsql writes the event log into;
   * when set, the reconciler reads that table (CTI_PBX_CEL_TABLE) instead of CTI_CEL_FILE. A role that
   * may only SELECT on it is enough (docs/asterisk-pgsql.sql).
   */
  CTI_PBX_CEL_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/i, 'a postgres:// URL such as postgres://cti_cel:secret@db.example:5432/asterisk').optional(),
  /** cel_pgsql.conf's `table` (name or schema.name). */
  CTI_PBX_CEL_TABLE: z.string().regex(CEL_TABLE_NAME, 'a table name (letters, digits, _), optionally schema.table').default('cel'),
  /**
   * The PBX's recordings over HTTPS with mutual TLS, when its disk is not ours (docs/remote-pbx.md,
   * docs/asterisk-recordings.nginx.conf): the base URL, the CA (PEM) that issued the server's certificate
   * and ours, and our client certificate and key (PEM files, the key readable by the service only).
   */
  CTI_PBX_RECORDINGS_URL: z.string().url().refine((s) => s.startsWith('https://'), 'an https:// URL (the recordings travel over TLS)').optional(),
  CTI_PBX_RECORDINGS_CA: readableFile.optional(),
  CTI_PBX_RECORDINGS_CERT: readableFile.optional(),
  CTI_PBX_RECORDINGS_KEY: readableFile.optional(),
  CTI_RECONCILE_INTERVAL_S: positiveInt.default(60),
  /** Calls in the event log older than this many days are not imported (first start on a PBX with history). */
  CTI_RECONCILE_DAYS: positiveInt.default(30),
  CTI_EXTENSION_PATTERN: z
    .string()
    .default('^[0-9]{2,5}$')
    .refine((s) => { try { new RegExp(s); return true; } catch { return false; } }, 'a valid regular expression'),
  /** Routing rules (JSON), also edited through the admin API; reloaded when it changes. */
  CTI_ROUTING_FILE: z.string().min(1).default('./config/routing.json'),
  /** Fault injection for tests and drills: delay every routing lookup by this many ms. Leave 0. */
  CTI_FAULT_ROUTING_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  /** Set by `cti demo` (and `cti --demo serve`): the login page lists the demo's logins (GET /api/v1/auth/demo). */
  CTI_DEMO: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** The session cookie gets Secure (always sent over HTTPS only); set it behind a TLS proxy. */
  CTI_COOKIE_SECURE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /**
   * Who may tell us the client's address in X-Forwarded-For (fastify's trustProxy): false (nobody, the
   * default: the socket's address counts), true (anyone: only when nothing but the proxy can reach the
   * service), or a comma-separated list of proxy addresses and CIDRs. No hop count: this fastify
   * trusts nothing for one (a count cannot tell the proxy from a client that adds headers itself).
   */
  CTI_TRUST_PROXY: z.string().default('false').transform((s, ctx): boolean | string[] => {
    const v = s.trim();
    if (v === 'false') return false;
    if (v === 'true') return true;
    const list = v.split(',').map((p) => p.trim()).filter((p) => p !== '');
    if (list.length && list.every(isAddressOrCidr)) return list;
    ctx.addIssue({ code: 'custom', message: 'false, true, or proxy addresses and CIDRs separated by commas (10.0.0.5,192.168.0.0/16)' });
    return z.NEVER;
  }),
  /** Failed logins of one user name from one address (in 15 minutes) before that pair is locked. */
  CTI_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  /** Failed logins from one address, whatever the names (in 15 minutes), before the address is locked. */
  CTI_LOGIN_ADDRESS_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(100),
  /** A browser session lasts this long after login. */
  CTI_SESSION_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(12),
  /** Wrap-up outcomes (JSON: [{ id, label: { ru, en } }]); the shipped defaults when the file is absent. */
  CTI_WRAPUP_OUTCOMES_FILE: z.string().min(1).default('./config/wrapup-outcomes.json'),
  /** A missed inbound call's callback task is due this long after the call ended. */
  CTI_CALLBACK_DUE_MINUTES: z.coerce.number().int().min(0).max(7 * 24 * 60).default(15),
  /** The built web app (web/dist), served at / when the folder exists. */
  CTI_WEB_DIR: z.string().min(1).default('./web/dist'),
  /** The company's time zone (IANA name): where report days, weeks and months begin. */
  CTI_TIMEZONE: z.string().default('Europe/Moscow').refine(isTimeZone, 'an IANA time zone name such as Europe/Moscow'),
  /**
   * The PBX's own time zone, when its CEL file gives times as its wall clock (cel.conf `dateformat`;
   * FreePBX's `%F %T`) and it differs from CTI_TIMEZONE. Epoch times (no dateformat) need none.
   */
  CTI_PBX_TIMEZONE: z.string().refine(isTimeZone, 'an IANA time zone name such as Europe/Moscow').optional(),
  /** KPI bands per report metric (JSON, see src/reports/kpi.ts); the shipped defaults when the file is absent. */
  CTI_KPI_FILE: z.string().min(1).default('./config/kpi.json'),
  // --- the browser phone (src/softphone): optional; without CTI_SIP_SECRET no user can be in browser mode
  /** Browser phones' SIP passwords are HMAC(CTI_SIP_SECRET, user id + rotation): never stored, never in the page. */
  CTI_SIP_SECRET: z.string().min(16, 'at least 16 characters (e.g. openssl rand -hex 32)').optional(),
  /** Where browsers reach Asterisk's SIP websocket (wss://pbx.example.com:8089/ws); default: ws on the ARI host and port. */
  CTI_SOFTPHONE_WS_URL: z.string().url().refine((s) => /^wss?:\/\//.test(s), 'a ws:// or wss:// URL').optional(),
  /** The SIP domain of browser phones' addresses (sip:<extension>@<domain>); default: the websocket URL's host. */
  CTI_SOFTPHONE_SIP_DOMAIN: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or address').optional(),
  /** STUN/TURN servers for browsers outside the office network: JSON RTCIceServer list. */
  CTI_SOFTPHONE_ICE_SERVERS: z.string().default('[]').transform((s, ctx) => {
    try {
      const v: unknown = JSON.parse(s);
      if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'urls' in x)) return v as { urls: string | string[]; username?: string; credential?: string }[];
    } catch { /* reported below */ }
    ctx.addIssue({ code: 'custom', message: 'a JSON list of { "urls": ..., "username"?, "credential"? }' });
    return z.NEVER;
  }),
  /** Extra or overriding PJSIP endpoint options for browser phones, `name=value;name=value` (see README). */
  CTI_SOFTPHONE_ENDPOINT: z.string().default('').refine((s) => s.split(';').every((p) => p.trim() === '' || /^[a-z_]+=.*$/.test(p.trim())), 'name=value pairs separated by ;'),
  // --- several instances behind one address (src/cluster; README "Scaling out")
  /**
   * true on every instance of a deployment that runs several: they share sockets through PostgreSQL
   * (socket.io's adapter) and one of them leads (consumes the PBX's events). Needs CTI_DATABASE_URL.
   */
  CTI_CLUSTER: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** How long a leader that cannot reach PostgreSQL keeps leading, and a silent one its lock (ms). */
  CTI_CLUSTER_LEASE_MS: z.coerce.number().int().min(1000).max(60_000).default(5000),
};

const baseSchema = z.object(baseShape);
const serviceSchema = z.object(serviceShape)
  .superRefine((c, ctx) => {
    if ((c.CTI_ARI_USER === undefined) !== (c.CTI_ARI_PASSWORD === undefined)) {
      const missing = c.CTI_ARI_USER === undefined ? 'CTI_ARI_USER' : 'CTI_ARI_PASSWORD';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'set CTI_ARI_USER and CTI_ARI_PASSWORD both (routing, browser phones) or neither (observe only)' });
    }
    if (c.CTI_PBX_RECORDINGS_URL) {
      for (const k of ['CTI_PBX_RECORDINGS_CA', 'CTI_PBX_RECORDINGS_CERT', 'CTI_PBX_RECORDINGS_KEY'] as const) {
        if (c[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is required with CTI_PBX_RECORDINGS_URL (mutual TLS: docs/remote-pbx.md)' });
      }
    }
    if (c.CTI_CLUSTER && !c.CTI_DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['CTI_CLUSTER'], message: 'several instances share one PostgreSQL: set CTI_DATABASE_URL=postgres://... too' });
    }
  })
  .transform((c) => ({ ...c, CTI_PUBLIC_URL: defaultPublicUrl(c) }));

/**
 * CTI_PUBLIC_URL without a trailing slash, or http://<CTI_HTTP_HOST>:<CTI_HTTP_PORT> (a wildcard host
 * as 127.0.0.1: nobody opens http://0.0.0.0). One rule for the CSV's links and the sockets' Origin.
 */
function defaultPublicUrl(c: { CTI_PUBLIC_URL?: string | undefined; CTI_HTTP_HOST: string; CTI_HTTP_PORT: number }): string {
  if (c.CTI_PUBLIC_URL) return c.CTI_PUBLIC_URL.replace(/\/+$/, '');
  const host = c.CTI_HTTP_HOST === '0.0.0.0' || c.CTI_HTTP_HOST === '::' ? '127.0.0.1' : c.CTI_HTTP_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${c.CTI_HTTP_PORT}`;
}

export type BaseConfig = Readonly<z.infer<typeof baseSchema>>;
export type ServiceConfig = Readonly<z.infer<typeof serviceSchema>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function parse<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv): Readonly<z.infer<S>> {
  // Empty strings count as unset, so `CTI_HTTP_PORT=` in a .env falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => {
        const name = String(i.path[0] ?? '?');
        const why = i.code === 'invalid_type' && cleaned[name] === undefined ? 'is required but not set' : i.message;
        return `${name}: ${why}`;
      }),
    );
  }
  return Object.freeze(result.data);
}

/** The origin (scheme, host, port) of CTI_PUBLIC_URL: the only Origin a browser's socket may come from. */
export function publicUrl(c: Pick<ServiceConfig, 'CTI_PUBLIC_URL' | 'CTI_HTTP_HOST' | 'CTI_HTTP_PORT'>): string {
  return new URL(defaultPublicUrl(c)).origin;
}

/** The database a configuration names: CTI_DATABASE_URL when set, else the SQLite file CTI_DB_FILE. */
export function databaseTarget(c: Pick<BaseConfig, 'CTI_DB_FILE' | 'CTI_DATABASE_URL'>): string {
  return c.CTI_DATABASE_URL ?? c.CTI_DB_FILE;
}

export function loadBaseConfig(env: NodeJS.ProcessEnv = process.env): BaseConfig {
  return parse(baseSchema, env);
}

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  return parse(serviceSchema, env);
}
