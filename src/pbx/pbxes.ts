// The PBXs one deployment is attached to (issue 14, part 4; docs/design/several-pbxs.md). The one that the
// CTI_AMI_* / CTI_ARI_* / CTI_CEL_* / recordings variables describe is `main` (every deployment has it,
// and every call and extension stored before several PBXs existed belongs to it); CTI_PBXS_FILE lists
// the others, one JSON object each, with secrets named by the environment variable that holds them,
// never written in the file. Validated at startup like the rest of the configuration: a mistake stops
// the service naming the PBX and the field.
//
// A PBX's id is what every call, leg and user row carries (pbx_id) and what the API's `pbx` filter
// takes; its name is what pages show ("Москва", "Казань").
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, readableFile, type ServiceConfig } from '../config/config.js';
import { isTimeZone } from '../lib/timezone.js';
import { CEL_TABLE_NAME } from './cel-table.js';

import { MAIN_PBX, PBX_ID } from './pbx-id.js';

export { MAIN_PBX, PBX_ID };

export interface PbxSettings {
  id: string;
  name: string;
  ami: { host: string; port: number; user: string; secret: string };
  /** null: observe only (no routing, no browser phones on this PBX). */
  ari: { url: string; user: string; password: string; app: string } | null;
  originateContext: string;
  /** cel_custom's file, or cel_pgsql's table when `celDatabaseUrl` is set. */
  celFile: string;
  celDatabaseUrl: string | null;
  celTable: string;
  /** The PBX's zone for wall-clock CEL times. */
  timeZone: string;
  recordingsDir: string;
  pbxRecordingsDir: string | null;
  remoteRecordings: { url: string; caFile: string; certFile: string; keyFile: string } | null;
  /** Where browsers reach this PBX's SIP websocket; null: the deployment's (CTI_SOFTPHONE_WS_URL or the ARI host). */
  softphoneWsUrl: string | null;
}

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable (CTI_KZN_AMI_SECRET)');

const entrySchema = z.object({
  id: z.string().regex(PBX_ID, 'lower-case letters, digits, - and _ (at most 32), such as kzn'),
  name: z.string().trim().min(1).max(60),
  ami: z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(5038),
    user: z.string().min(1),
    secretEnv: envName,
  }).strict(),
  ari: z.object({
    url: z.string().url(),
    user: z.string().min(1),
    passwordEnv: envName,
    app: z.string().regex(/^[A-Za-z0-9_-]+$/).default('cti'),
  }).strict().optional(),
  originateContext: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'a dialplan context name').default('cti-click2call'),
  cel: z.union([
    z.object({ file: z.string().min(1) }).strict(),
    z.object({ databaseUrlEnv: envName, table: z.string().regex(CEL_TABLE_NAME).default('cel') }).strict(),
  ]),
  timeZone: z.string().refine(isTimeZone, 'an IANA time zone name such as Europe/Moscow').optional(),
  recordings: z.union([
    z.object({ dir: z.string().min(1), pbxDir: z.string().regex(/^\//, 'an absolute path (as Asterisk sees it)').optional() }).strict(),
    z.object({ url: z.string().url().refine((s) => s.startsWith('https://'), 'an https:// URL'), ca: readableFile, cert: readableFile, key: readableFile }).strict(),
  ]),
  softphoneWsUrl: z.string().url().refine((s) => /^wss?:\/\//.test(s), 'a ws:// or wss:// URL').optional(),
}).strict();

/** The PBX the environment variables describe. */
export function mainPbx(c: ServiceConfig): PbxSettings {
  const ari = c.CTI_ARI_USER && c.CTI_ARI_PASSWORD ? { url: c.CTI_ARI_URL, user: c.CTI_ARI_USER, password: c.CTI_ARI_PASSWORD, app: c.CTI_ARI_APP } : null;
  return {
    id: MAIN_PBX, name: c.CTI_PBX_NAME,
    ami: { host: c.CTI_AMI_HOST, port: c.CTI_AMI_PORT, user: c.CTI_AMI_USER, secret: c.CTI_AMI_SECRET },
    ari, originateContext: c.CTI_ORIGINATE_CONTEXT,
    celFile: c.CTI_CEL_FILE, celDatabaseUrl: c.CTI_PBX_CEL_DATABASE_URL ?? null, celTable: c.CTI_PBX_CEL_TABLE,
    timeZone: c.CTI_PBX_TIMEZONE ?? c.CTI_TIMEZONE,
    recordingsDir: c.CTI_RECORDINGS_DIR, pbxRecordingsDir: c.CTI_PBX_RECORDINGS_DIR ?? null,
    remoteRecordings: c.CTI_PBX_RECORDINGS_URL ? {
      url: c.CTI_PBX_RECORDINGS_URL, caFile: c.CTI_PBX_RECORDINGS_CA!, certFile: c.CTI_PBX_RECORDINGS_CERT!, keyFile: c.CTI_PBX_RECORDINGS_KEY!,
    } : null,
    softphoneWsUrl: c.CTI_SOFTPHONE_WS_URL ?? null,
  };
}

/**
 * CTI_PBXS_FILE's entries, checked (ConfigError naming the PBX and the field), their secrets not yet
 * looked up: what `cti user add --pbx` checks an id against without the service's whole configuration.
 */
export function readPbxesFile(file: string): z.infer<typeof entrySchema>[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`CTI_PBXS_FILE: ${file}: ${(err as Error).message}`]);
  }
  const parsed = z.array(entrySchema).safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => {
      const at = typeof i.path[0] === 'number' ? (raw as { id?: unknown }[])[i.path[0]]?.id ?? `#${i.path[0] + 1}` : '';
      return `CTI_PBXS_FILE: PBX ${String(at)}: ${i.path.slice(1).join('.') || 'entry'}: ${i.message}`;
    }));
  }
  return parsed.data;
}

/**
 * Every PBX of the deployment: `main` first, then CTI_PBXS_FILE's, in its order. Throws ConfigError
 * naming the PBX, the field and the variable for anything wrong (a missing secret, a duplicate id).
 */
export function loadPbxes(c: ServiceConfig, env: NodeJS.ProcessEnv = process.env): PbxSettings[] {
  const main = mainPbx(c);
  const file = c.CTI_PBXS_FILE;
  if (!file) return [main];
  const entries = readPbxesFile(file);
  const problems: string[] = [];
  const secret = (id: string, field: string, name: string): string => {
    const v = env[name];
    if (!v) problems.push(`CTI_PBXS_FILE: PBX ${id}: ${field}: ${name} is not set`);
    return v ?? '';
  };
  const seen = new Set([MAIN_PBX]);
  const out = [main];
  for (const p of entries) {
    if (seen.has(p.id)) problems.push(`CTI_PBXS_FILE: PBX ${p.id}: the id is taken${p.id === MAIN_PBX ? ' (main is the PBX of CTI_AMI_*)' : ''}`);
    seen.add(p.id);
    out.push({
      id: p.id, name: p.name,
      ami: { host: p.ami.host, port: p.ami.port, user: p.ami.user, secret: secret(p.id, 'ami.secretEnv', p.ami.secretEnv) },
      ari: p.ari ? { url: p.ari.url, user: p.ari.user, password: secret(p.id, 'ari.passwordEnv', p.ari.passwordEnv), app: p.ari.app } : null,
      originateContext: p.originateContext,
      celFile: 'file' in p.cel ? p.cel.file : '',
      celDatabaseUrl: 'databaseUrlEnv' in p.cel ? secret(p.id, 'cel.databaseUrlEnv', p.cel.databaseUrlEnv) : null,
      celTable: 'table' in p.cel ? p.cel.table : 'cel',
      timeZone: p.timeZone ?? c.CTI_TIMEZONE,
      recordingsDir: 'dir' in p.recordings ? p.recordings.dir : '',
      pbxRecordingsDir: 'dir' in p.recordings ? p.recordings.pbxDir ?? null : null,
      remoteRecordings: 'url' in p.recordings ? { url: p.recordings.url, caFile: p.recordings.ca, certFile: p.recordings.cert, keyFile: p.recordings.key } : null,
      softphoneWsUrl: p.softphoneWsUrl ?? null,
    });
  }
  // Two PBXs writing into one place would read each other's calls: linkedids and recording names
  // (<linkedid>.wav) repeat across Asterisks.
  const places = [
    ['recordings', (p: PbxSettings) => p.remoteRecordings?.url ?? p.recordingsDir],
    ['cel', (p: PbxSettings) => (p.celDatabaseUrl ? `${p.celDatabaseUrl}#${p.celTable}` : p.celFile)],
  ] as const;
  for (const [field, of] of places) {
    const owner = new Map<string, string>();
    for (const p of out) {
      const at = of(p);
      const other = at ? owner.get(at) : undefined;
      if (other) problems.push(`CTI_PBXS_FILE: PBX ${p.id}: ${field}: the same as PBX ${other}'s; each PBX needs its own`);
      else if (at) owner.set(at, p.id);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** What pages and the API show of the PBXs: id and name, in the configured order. */
export interface PbxSummary { id: string; name: string }
