// Reading the call log, with access rules checked first: a manager sees only their own calls, those
// they handled or on which their phone rang (the call's manager or any of its legs, the user recorded
// when it was written: src/users/directory.ts), not the past calls of a phone they took over later;
// supervisors and admins see all.
import { statSync } from 'node:fs';
import { and, desc, eq, exists, gte, lt, ne, notExists, or, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { Direction, Disposition } from '../contract/enums.js';
import type { Db } from '../db/client.js';
import { first } from '../db/query.js';
import { callLegs, calls, callWrapups, clients, contacts, users, type CallLegRow, type CallRow } from '../db/schema/index.js';
import { CALL_GRANT_DAYS } from '../contacts/context.js';
import { containsPattern } from '../contacts/views.js';
import { CtiError } from '../lib/errors.js';
import { toE164 } from '../lib/phone.js';
import type { Actor } from '../users/users.js';
import { wrapupsOf, type WrapupView } from '../tasks/wrapup.js';
import { WITHIN_SERVICE_LEVEL_SQL } from '../reports/queues.js';
import { partiesOf, type CallParties } from './parties.js';
import type { RemoteRecordings } from '../pbx/remote-recordings.js';
import { MAIN_PBX } from '../pbx/pbx-id.js';
import { localRecordingPath, recordingParts, wavDurationMs } from './recording.js';

export interface QueryContext {
  db: Db;
  actor: Actor;
  recordingsDir: string;
  /** Where Asterisk writes them, as it sees it (CTI_PBX_RECORDINGS_DIR): recording.ts localRecordingPath. */
  pbxRecordingsDir?: string | null;
  /** The PBX's recordings server, when the recordings are not on this disk (CTI_PBX_RECORDINGS_URL). */
  remoteRecordings?: RemoteRecordings | null;
  /** Where another PBX's recordings are (CTI_PBXS_FILE); the three fields above are main's. */
  pbxRecordings?: (pbxId: string) => RecordingsPlace | undefined;
  /** "Now" for the times so far of live calls (ms); Date.now() when absent. */
  now?: number;
  /** Where a number written without a country code is read, for `q` (CTI_DEFAULT_REGION; RU when absent). */
  region?: string;
}

/** Where one PBX's recordings are read: this disk, or its recordings server. */
export type RecordingsPlace = Pick<QueryContext, 'recordingsDir' | 'pbxRecordingsDir' | 'remoteRecordings'>;

/**
 * The place of the row's PBX's recordings; null for a PBX no longer configured: its recordings are
 * nowhere here (main's folder holds another PBX's files, and linkedids repeat across PBXs).
 */
function placeOf(ctx: RecordingsPlace & Pick<QueryContext, 'pbxRecordings'>, row: CallRow): RecordingsPlace | null {
  if (row.pbxId === MAIN_PBX || !ctx.pbxRecordings) return ctx;
  return ctx.pbxRecordings(row.pbxId) ?? null;
}

export interface CallFilters {
  from?: string;
  to?: string;
  direction?: Direction;
  /** The call's manager extension; 'none': calls that have none. */
  extension?: string;
  /** One PBX's calls (src/pbx/pbxes.ts); an extension is then that PBX's. */
  pbx?: string;
  /** The user the call is credited to (calls.manager_id); 'none': nobody. A report row per manager drills down by it. */
  managerId?: string;
  disposition?: Disposition;
  state?: 'live' | 'ended';
  /**
   * As the report counts them (src/reports/report.ts), so a report cell drills down to exactly its calls:
   * answered = disposition answered; missed = inbound and not answered (any other disposition, or none).
   */
  result?: 'answered' | 'missed';
  /** Calls wrapped up with this outcome id. */
  outcome?: string;
  linkedId?: string;
  contactId?: string;
  clientId?: string;
  /**
   * A number in any format ("8 (916) 123-45-67", or a part of its digits), or a part of the contact's or
   * the client's name, in any case and script. A manager's name matches only their own clients, as
   * they see names at all (src/calls/parties.ts).
   */
  q?: string;
  /**
   * pending: the actor's own answered calls of the last PENDING_WRAPUP_DAYS days without a wrap-up (the
   * ones they left for later), whatever their role; answered by them as wrapUpCall has it.
   */
  wrapup?: 'pending';
  /** The app_queue queue the call waited in; 'any': every call that waited in one (the queue report's totals). */
  queue?: string;
  /**
   * As the queue report counts them (src/reports/queues.ts): how the call left its queue, or
   * withinServiceLevel: answered after waiting at most its queue's service level.
   */
  queueResult?: 'answered' | 'abandoned' | 'timeout' | 'withinServiceLevel';
  limit?: number;
  cursor?: string;
}

/** How far back a wrap-up left for later is still asked for. */
export const PENDING_WRAPUP_DAYS = CALL_GRANT_DAYS; // the card of a call is read as long as its wrap-up is owed

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const secs = (ms: number) => Math.round(ms / 1000);

/**
 * Ring and talk time of a call or leg. Stored times are final only once it ended; while it is live the
 * stored talk time is 0, so the times so far are counted to `now`: ringing until the answer (or now),
 * talking from the answer to now.
 */
function timesSoFar(r: { startedAt: number; answeredAt: number | null; endedAt: number | null; ringMs: number; talkMs: number }, live: boolean, now: number): { ringSeconds: number; talkSeconds: number } {
  if (!live || r.endedAt !== null) return { ringSeconds: secs(r.ringMs), talkSeconds: secs(r.talkMs) };
  const ringMs = Math.max(0, (r.answeredAt ?? now) - r.startedAt);
  const talkMs = r.answeredAt === null ? 0 : Math.max(0, now - r.answeredAt);
  return { ringSeconds: secs(ringMs), talkSeconds: secs(talkMs) };
}

export interface LegView {
  extension: string | null;
  managerId: string | null;
  channel: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  ringSeconds: number;
  talkSeconds: number;
  disposition: string | null;
  hangupCause: string | null;
}

export interface CallView {
  id: string;
  /** The PBX it happened on: its linkedid and extensions are that PBX's. */
  pbx: string;
  linkedId: string;
  state: string;
  source: string;
  direction: string;
  origin: string | null;
  externalNumber: string | null;
  extension: string | null;
  managerId: string | null;
  contactId: string | null;
  clientId: string | null;
  /** Why the call rang who it rang: prior_manager, owner, turnover:<tier>, default, fallback (inbound). */
  routedBy: string | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  ringSeconds: number;
  talkSeconds: number;
  disposition: string | null;
  hangupCause: string | null;
  recording: { url: string; durationSeconds: number } | null;
  /** The manager's wrap-up (description, outcome), null until there is one. */
  wrapup: WrapupView | null;
  /** The contact and client by name, as the actor may see them (src/calls/parties.ts). */
  contact: CallParties['contact'];
  client: CallParties['client'];
  /** The user the call is credited to (managerId) by name; null when nobody or a user since deleted. */
  manager: { id: string; name: string } | null;
  /** The app_queue queue the call waited in (the first), its wait (seconds, one decimal) and how it left it; null when none. */
  queue: string | null;
  queueWaitSeconds: number | null;
  queueOutcome: 'answered' | 'abandoned' | 'timeout' | null;
  legs: LegView[];
}

function canSee(db: Db, actor: Actor): SQL | undefined {
  if (actor.role !== 'manager') return undefined;
  return or(
    eq(calls.managerId, actor.id),
    inArray(calls.id, db.select({ id: callLegs.callId }).from(callLegs).where(eq(callLegs.managerId, actor.id))),
  );
}

/** Only existing, non-empty recordings count (MixMonitor writes a 44-byte header even for no audio). */
export function recordingPath(ctx: Pick<QueryContext, 'recordingsDir' | 'pbxRecordingsDir'>, row: CallRow): string | null {
  if (!row.recordingFile) return null;
  const file = localRecordingPath(ctx.recordingsDir, row.recordingFile, ctx.pbxRecordingsDir ?? null);
  if (!file) return null;
  try {
    return statSync(file).size > 44 ? file : null;
  } catch {
    return null;
  }
}

/** The names of these users, by id (the calls' managers). */
async function userNames(db: Db, ids: readonly (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((x): x is string => !!x))];
  if (!wanted.length) return new Map();
  return new Map((await db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, wanted))).map((u) => [u.id, u.name]));
}

/** Digits and the usual separators only: a number, or a part of one, as people type it. */
const NUMBERISH = /^\+?[0-9\s\u00a0\-().]+$/;

/** The condition for `q` (CallFilters.q): the number, or the contact's or client's name. */
function searchCondition(ctx: QueryContext, q: string): SQL | undefined {
  const e164 = toE164(q, ctx.region ?? 'RU');
  const digits = NUMBERISH.test(q) ? q.replace(/\D/g, '') : '';
  const pattern = containsPattern(q);
  const manager = ctx.actor.role === 'manager' ? ctx.actor.id : null;
  const namedClients = ctx.db.select({ id: clients.id }).from(clients)
    .where(and(sql`${clients.search} like ${pattern} escape '\\'`, manager ? eq(clients.ownerId, manager) : undefined));
  const namedContacts = manager
    ? ctx.db.select({ id: contacts.id }).from(contacts).innerJoin(clients, eq(clients.id, contacts.clientId))
      .where(and(sql`${contacts.search} like ${pattern} escape '\\'`, eq(clients.ownerId, manager)))
    : ctx.db.select({ id: contacts.id }).from(contacts).where(sql`${contacts.search} like ${pattern} escape '\\'`);
  return or(
    e164 ? eq(calls.externalNumber, e164) : undefined,
    // Stored numbers are E.164 (normaliseExternal): a part of the digits matches wherever it falls.
    digits.length >= 3 ? sql`${calls.externalNumber} like ${`%${digits}%`}` : undefined,
    inArray(calls.contactId, namedContacts),
    inArray(calls.clientId, namedClients),
  );
}

/**
 * Where a call's recording is read, or null when it has none that plays. On the PBX's recordings server
 * it counts once measured (call-log.ts: the service fetched its header from the PBX and saved its length).
 */
export type RecordingLocation = { kind: 'local'; file: string } | { kind: 'remote'; parts: string[]; server: RemoteRecordings };

export function recordingOf(all: RecordingsPlace & Pick<QueryContext, 'pbxRecordings'>, row: CallRow): { at: RecordingLocation; ms: number } | null {
  const ctx = placeOf(all, row);
  if (!ctx) return null;
  if (ctx.remoteRecordings) {
    const parts = row.recordingFile ? recordingParts(row.recordingFile, ctx.pbxRecordingsDir ?? null) : null;
    return parts && row.recordingMs !== null ? { at: { kind: 'remote', parts, server: ctx.remoteRecordings }, ms: row.recordingMs } : null;
  }
  const file = recordingPath(ctx, row);
  const ms = file ? (row.recordingMs ?? wavDurationMs(file)) : null;
  return file && ms !== null ? { at: { kind: 'local', file }, ms } : null;
}

function view(ctx: QueryContext, row: CallRow, legs: CallLegRow[], wrapup: WrapupView | null, parties: CallParties, managerName: string | undefined): CallView {
  const rec = recordingOf(ctx, row);
  const live = row.state === 'live';
  const now = ctx.now ?? Date.now();
  return {
    id: row.id,
    pbx: row.pbxId,
    linkedId: row.linkedId,
    state: row.state,
    source: row.source,
    direction: row.direction,
    origin: row.origin,
    externalNumber: row.externalNumber,
    extension: row.extension,
    managerId: row.managerId,
    contactId: row.contactId,
    clientId: row.clientId,
    routedBy: row.routedBy,
    startedAt: new Date(row.startedAt).toISOString(),
    answeredAt: iso(row.answeredAt),
    endedAt: iso(row.endedAt),
    ...timesSoFar(row, live, now),
    disposition: row.disposition,
    hangupCause: row.hangupCause,
    recording: rec ? { url: `/api/v1/calls/${row.id}/recording`, durationSeconds: Math.round(rec.ms / 100) / 10 } : null,
    wrapup,
    contact: parties.contact,
    client: parties.client,
    manager: row.managerId && managerName !== undefined ? { id: row.managerId, name: managerName } : null,
    queue: row.queue,
    queueWaitSeconds: row.queueWaitMs === null ? null : Math.round(row.queueWaitMs / 100) / 10,
    queueOutcome: row.queueOutcome,
    legs: legs
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((l) => ({
        extension: l.extension,
        managerId: l.managerId,
        channel: l.channel,
        startedAt: new Date(l.startedAt).toISOString(),
        answeredAt: iso(l.answeredAt),
        endedAt: iso(l.endedAt),
        ...timesSoFar(l, live, now),
        disposition: l.disposition,
        hangupCause: l.hangupCause,
      })),
  };
}

function decodeCursor(cursor: string): { startedAt: number; id: string } {
  try {
    const [startedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof startedAt === 'number' && typeof id === 'string') return { startedAt, id };
  } catch {
    /* fall through */
  }
  throw new CtiError('CTI_ERR_BAD_REQUEST', 'cursor: not a cursor this API returned');
}

function parseTime(name: string, s: string): number {
  const t = Date.parse(s);
  if (!Number.isFinite(t)) throw new CtiError('CTI_ERR_BAD_REQUEST', `${name}: not an ISO 8601 date-time`);
  return t;
}

export async function listCalls(ctx: QueryContext, f: CallFilters): Promise<{ items: CallView[]; nextCursor: string | null }> {
  const access = canSee(ctx.db, ctx.actor);
  const limit = f.limit ?? 50;
  const conds: (SQL | undefined)[] = [access];
  const from = f.from ? parseTime('from', f.from) : null;
  const to = f.to ? parseTime('to', f.to) : null;
  if (from !== null && to !== null && from > to) throw new CtiError('CTI_ERR_BAD_REQUEST', 'from: must not be after to');
  if (from !== null) conds.push(gte(calls.startedAt, from));
  if (to !== null) conds.push(lt(calls.startedAt, to));
  if (f.direction) conds.push(eq(calls.direction, f.direction));
  if (f.disposition) conds.push(eq(calls.disposition, f.disposition));
  if (f.pbx) conds.push(eq(calls.pbxId, f.pbx));
  if (f.extension) conds.push(f.extension === 'none' ? isNull(calls.extension) : eq(calls.extension, f.extension));
  if (f.managerId) conds.push(f.managerId === 'none' ? isNull(calls.managerId) : eq(calls.managerId, f.managerId));
  if (f.state) conds.push(eq(calls.state, f.state));
  if (f.result === 'answered') conds.push(eq(calls.disposition, 'answered'));
  if (f.result === 'missed') conds.push(eq(calls.direction, 'inbound'), or(isNull(calls.disposition), ne(calls.disposition, 'answered')));
  // EXISTS on the wrap-up's primary key, per call the other filters leave: IN (SELECT ... WHERE outcome = ?)
  // would read every wrap-up of the outcome first (2.4 s with a million of them, bench/report-drilldown.ts).
  if (f.outcome) {
    conds.push(exists(ctx.db.select({ one: sql`1` }).from(callWrapups).where(and(eq(callWrapups.callId, calls.id), eq(callWrapups.outcome, f.outcome)))));
  }
  if (f.wrapup === 'pending') {
    const me = ctx.actor.id;
    conds.push(
      eq(calls.state, 'ended'), eq(calls.disposition, 'answered'),
      gte(calls.startedAt, (ctx.now ?? Date.now()) - PENDING_WRAPUP_DAYS * 86_400_000),
      or(
        and(eq(calls.managerId, me), isNotNull(calls.answeredAt)),
        exists(ctx.db.select({ one: sql`1` }).from(callLegs).where(and(eq(callLegs.callId, calls.id), eq(callLegs.managerId, me), isNotNull(callLegs.answeredAt)))),
      ),
      notExists(ctx.db.select({ one: sql`1` }).from(callWrapups).where(eq(callWrapups.callId, calls.id))),
    );
  }
  if (f.queue) conds.push(f.queue === 'any' ? isNotNull(calls.queue) : eq(calls.queue, f.queue));
  if (f.queueResult === 'withinServiceLevel') conds.push(sql.raw(`(${WITHIN_SERVICE_LEVEL_SQL})`));
  else if (f.queueResult) conds.push(eq(calls.queueOutcome, f.queueResult));
  if (f.linkedId) conds.push(eq(calls.linkedId, f.linkedId));
  if (f.contactId) conds.push(eq(calls.contactId, f.contactId));
  if (f.clientId) conds.push(eq(calls.clientId, f.clientId));
  if (f.q && f.q.trim() !== '') conds.push(searchCondition(ctx, f.q.trim()));
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    conds.push(or(lt(calls.startedAt, c.startedAt), and(eq(calls.startedAt, c.startedAt), lt(calls.id, c.id))));
  }
  const rows = await ctx.db.select().from(calls).where(and(...conds)).orderBy(desc(calls.startedAt), desc(calls.id)).limit(limit + 1);
  const page = rows.slice(0, limit);
  const legs = page.length
    ? await ctx.db.select().from(callLegs).where(inArray(callLegs.callId, page.map((r) => r.id)))
    : [];
  const wrapups = await wrapupsOf(ctx.db, page.map((r) => r.id));
  const parties = await partiesOf(ctx.db, ctx.actor, page, { now: ctx.now });
  const names = await userNames(ctx.db, page.map((r) => r.managerId));
  const items = page.map((r, i) => view(ctx, r, legs.filter((l) => l.callId === r.id), wrapups.get(r.id) ?? null, parties[i]!, r.managerId ? names.get(r.managerId) : undefined));
  const last = page.at(-1);
  const nextCursor = rows.length > limit && last ? Buffer.from(JSON.stringify([last.startedAt, last.id])).toString('base64url') : null;
  return { items, nextCursor };
}

/** The call row if the actor may see it: 404 when it does not exist, 403 when it is someone else's. */
async function visibleRow(ctx: QueryContext, id: string): Promise<CallRow> {
  const row = await first(ctx.db.select().from(calls).where(eq(calls.id, id)));
  if (!row) throw new CtiError('CTI_ERR_CALL_NOT_FOUND');
  const access = canSee(ctx.db, ctx.actor);
  if (access && !(await first(ctx.db.select({ id: calls.id }).from(calls).where(and(eq(calls.id, id), access))))) {
    throw new CtiError('CTI_ERR_FORBIDDEN', 'This call belongs to another manager');
  }
  return row;
}

export async function getCall(ctx: QueryContext, id: string): Promise<CallView> {
  const row = await visibleRow(ctx, id);
  const legs = await ctx.db.select().from(callLegs).where(eq(callLegs.callId, id));
  const name = row.managerId ? (await userNames(ctx.db, [row.managerId])).get(row.managerId) : undefined;
  const wrapup = (await wrapupsOf(ctx.db, [id])).get(id) ?? null;
  return view(ctx, row, legs, wrapup, (await partiesOf(ctx.db, ctx.actor, [row], { now: ctx.now }))[0]!, name);
}

/** Where the recording of a call the actor may see is read (its rights first); 404 when it has none. */
export async function getRecording(ctx: QueryContext, id: string): Promise<RecordingLocation> {
  const row = await visibleRow(ctx, id);
  const place = placeOf(ctx, row);
  if (!place) throw new CtiError('CTI_ERR_RECORDING_NOT_FOUND');
  if (place.remoteRecordings) {
    const rec = recordingOf(ctx, row);
    if (!rec) throw new CtiError('CTI_ERR_RECORDING_NOT_FOUND');
    return rec.at;
  }
  // On this disk the file itself is the proof (a header alone does not count), measured or not.
  const file = recordingPath(place, row);
  if (!file) throw new CtiError('CTI_ERR_RECORDING_NOT_FOUND');
  return { kind: 'local', file };
}
