// Integration-test harness for the PBX sandbox (sandbox/pbx.sh up).
// Everything talks to 127.0.0.1 only: AMI as the sandbox user (read/write all), baresip phones over
// ctrl_tcp (netstring JSON), the Asterisk CLI through the chroot, and the CDR file cti.csv.
// Needs root for asterisk() (chroot). See sandbox/README.md and sandbox/SCENARIOS.md.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AsteriskManager from 'asterisk-manager';

/** A parsed AMI message (asterisk-manager 0.2.0): keys lowercased; `variable` becomes {NAME: value}; repeated keys become arrays. */
export type AmiMessage = Record<string, string | string[] | Record<string, string>>;
/** An AMI action for asterisk-manager: a Record value becomes several `Key: name=value` lines (e.g. Variable). */
export type AmiAction = Record<string, string | number | boolean | Record<string, string | number> | string[] | undefined>;

/** The part of asterisk-manager 0.2.0 (CommonJS) the harness uses; typed here so the harness does not depend on
 *  whichever ambient declaration of the module the project has. */
export interface AmiManager {
  connect(port: number, host: string, callback?: () => void): void;
  login(callback?: (err?: AmiMessage) => void): void;
  action(action: AmiAction, callback?: (err: AmiMessage | undefined, res: AmiMessage) => void): string;
  disconnect(callback?: () => void): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
}
type AmiFactory = new (port: number | undefined, host: string, username: string, password: string, events: boolean) => AmiManager;

const here = path.dirname(fileURLToPath(import.meta.url));
/** The project's root, from tests/support or from its build in dist/tests/support (the benches import it). */
export const PROJECT_ROOT = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');

/** A test driving two sandboxes (several PBXs) picks which one the harness talks to (useSandbox). */
let chosenDir: string | null = null;

/** The sandbox state dir (same rule as sandbox/pbx.sh), unless a test chose another (useSandbox). */
export function sandboxDir(): string {
  return chosenDir ?? process.env['CTI_PBX_DIR'] ?? path.join(PROJECT_ROOT, '.pbx');
}

/**
 * From now on the harness drives the sandbox in `dir` (null: the default again): its AMI, its phones, its
 * CDR. Each sandbox keeps its own AMI connection and listeners, so calls placed on one go on while
 * another is driven; a Phone keeps the sandbox it was made for.
 */
export function useSandbox(dir: string | null): void {
  chosenDir = dir;
}

// ------------------------------------------------------------------------------------------ env

const ENV_KEYS = ['CTI_AMI_HOST', 'CTI_AMI_PORT', 'CTI_AMI_USER', 'CTI_AMI_SECRET', 'CTI_ARI_URL', 'CTI_ARI_USER',
  'CTI_ARI_PASSWORD', 'CTI_SANDBOX_AMI_USER', 'CTI_SANDBOX_AMI_SECRET',
  'CTI_SANDBOX_ROOT', 'CTI_SANDBOX_ASTERISK_CONF', 'CTI_SANDBOX_SIP', 'CTI_SANDBOX_PHONES', 'CTI_SANDBOX_RING_TIMEOUT'] as const;
/** The PBX's files, as this host sees them: only in the local layout (one machine). */
const LOCAL_KEYS = ['CTI_RECORDINGS_DIR', 'CTI_CDR_FILE', 'CTI_CEL_FILE'] as const;
/** The PBX on another host (CTI_PBX_REMOTE=1): the event log, the CDR and the recordings over the network. */
const REMOTE_KEYS = ['CTI_PBX_CEL_DATABASE_URL', 'CTI_PBX_RECORDINGS_URL', 'CTI_PBX_RECORDINGS_CA', 'CTI_PBX_RECORDINGS_CERT',
  'CTI_PBX_RECORDINGS_KEY', 'CTI_SANDBOX_CDR_DATABASE_URL', 'CTI_SANDBOX_PHONE_HOST'] as const;

/** The contents of .pbx/sandbox.env: every key below is guaranteed present. */
export type SandboxEnv = Record<string, string> & { [K in (typeof ENV_KEYS)[number]]: string }
  // Present in the local layout only (tools that read the PBX's files, such as the fixture capture, need it).
  & { [K in (typeof LOCAL_KEYS)[number]]: string };

/** Reads .pbx/sandbox.env (written by `sandbox/pbx.sh up`, removed by `down`). */
export function loadSandboxEnv(): SandboxEnv {
  const file = path.join(sandboxDir(), 'sandbox.env');
  if (!existsSync(file)) {
    throw new Error(`PBX sandbox is not up: ${file} is missing. Run \`sandbox/pbx.sh up\` (as root) first.`);
  }
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  for (const k of [...ENV_KEYS, ...(env['CTI_SANDBOX_REMOTE'] === '1' ? REMOTE_KEYS : LOCAL_KEYS)]) {
    if (!env[k]) throw new Error(`PBX sandbox env ${file} has no ${k}: re-run \`sandbox/pbx.sh up\``);
  }
  return env as SandboxEnv;
}

/**
 * The dialplan contexts the test drivers use, by profile (sandbox.env; sandbox/pbx.sh writes them for
 * CTI_PBX_PROFILE=freepbx): where a trunk call enters, where click-to-call's Originate and the transfers go.
 */
export function sandboxContexts(): { inbound: string; click2call: string; phones: string } {
  const env = loadSandboxEnv();
  return {
    inbound: env['CTI_SANDBOX_INBOUND_CONTEXT'] || 'cti-inbound',
    click2call: env['CTI_SANDBOX_CLICK2CALL_CONTEXT'] || 'cti-click2call',
    phones: env['CTI_SANDBOX_PHONE_CONTEXT'] || 'cti-phones',
  };
}

function envValue(key: string): string {
  const v = loadSandboxEnv()[key];
  if (v === undefined) throw new Error(`sandbox.env has no ${key}`);
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitUntil<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what = 'condition', intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ------------------------------------------------------------------------------------------ Asterisk CLI

/** Runs an Asterisk CLI command in the sandbox (`chroot <root> asterisk -C ... -rx <cmd>`); returns its output. */
export function asterisk(cmd: string): string {
  const env = loadSandboxEnv();
  return execFileSync('chroot', [env.CTI_SANDBOX_ROOT, '/usr/sbin/asterisk', '-C', env.CTI_SANDBOX_ASTERISK_CONF, '-rx', cmd], {
    encoding: 'utf8',
    timeout: 10_000,
  });
}

// ------------------------------------------------------------------------------------------ AMI (sandbox user)

type EventListener = (e: AmiMessage) => void;

/** Per sandbox dir: its AMI connection and who listens to it. */
const amiPromises = new Map<string, Promise<AmiManager>>();
const listenersByDir = new Map<string, Set<EventListener>>();
const listenersOf = (dir: string) => listenersByDir.get(dir) ?? listenersByDir.set(dir, new Set()).get(dir)!;

function str(v: AmiMessage[string] | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v[0] ?? '';
  return Object.entries(v).map(([k, x]) => `${k}=${x}`).join(',');
}

/** The shared AMI connection of the sandbox user (all events on). Close with closeSandbox(). */
export function sandboxAmi(): Promise<AmiManager> {
  const dir = sandboxDir();
  const cached = amiPromises.get(dir);
  if (cached) return cached;
  const amiListeners = listenersOf(dir);
  const env = loadSandboxEnv();
  const p = new Promise<AmiManager>((resolve, reject) => {
    const ami = new (AsteriskManager as unknown as AmiFactory)(undefined, env.CTI_AMI_HOST, env.CTI_SANDBOX_AMI_USER, env.CTI_SANDBOX_AMI_SECRET, true);
    const timer = setTimeout(() => reject(new Error(`AMI login to 127.0.0.1:${env.CTI_AMI_PORT} timed out`)), 5000);
    ami.on('error', (err: Error) => { clearTimeout(timer); reject(new Error(`AMI connection error: ${err.message}`)); });
    ami.on('managerevent', (e: AmiMessage) => { for (const l of amiListeners) l(e); });
    ami.connect(Number(env.CTI_AMI_PORT), env.CTI_AMI_HOST, () => {
      ami.login((err) => {
        clearTimeout(timer);
        if (err) reject(new Error(`AMI login failed: ${str(err['message'])}`));
        else resolve(ami);
      });
    });
  });
  amiPromises.set(dir, p);
  p.catch(() => { if (amiPromises.get(dir) === p) amiPromises.delete(dir); });
  return p;
}

/** Subscribes to every AMI event of the sandbox connection; returns an unsubscribe function. */
export function onAmiEvent(listener: EventListener): () => void {
  const set = listenersOf(sandboxDir());
  set.add(listener);
  return () => set.delete(listener);
}

/** Resolves with the first AMI event (from now on) that matches `pred`. */
export async function waitForAmiEvent(pred: (e: AmiMessage) => boolean, timeoutMs: number, what = 'AMI event'): Promise<AmiMessage> {
  await sandboxAmi();
  return new Promise((resolve, reject) => {
    const off = onAmiEvent((e) => { if (pred(e)) { clearTimeout(t); off(); resolve(e); } });
    const t = setTimeout(() => { off(); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
  });
}

/** Sends one AMI action; resolves with its response (rejects on Response: Error). */
export async function amiAction(action: AmiAction): Promise<AmiMessage> {
  const ami = await sandboxAmi();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`AMI ${String(action['action'])}: no response in 10 s`)), 10_000);
    ami.action(action, (err, res) => {
      clearTimeout(t);
      if (err) reject(new Error(`AMI ${String(action['action'])} failed: ${str(err['message'])}`));
      else resolve(res);
    });
  });
}

/** Sends an AMI action that answers with an event list; resolves with the list's events (without the Complete event). */
export async function amiActionList(action: AmiAction, timeoutMs = 10_000): Promise<AmiMessage[]> {
  await sandboxAmi();
  const actionid = `list-${randomUUID()}`;
  const items: AmiMessage[] = [];
  return new Promise((resolve, reject) => {
    const off = onAmiEvent((e) => {
      if (e['actionid'] !== actionid) return;
      if (str(e['eventlist']).toLowerCase() === 'complete' || /Complete$/.test(str(e['event']))) {
        clearTimeout(t); off(); resolve(items);
      } else items.push(e);
    });
    const t = setTimeout(() => { off(); reject(new Error(`AMI ${String(action['action'])}: list not complete in ${timeoutMs} ms`)); }, timeoutMs);
    amiAction({ ...action, actionid }).catch((err: Error) => { clearTimeout(t); off(); reject(err); });
  });
}

export interface ChannelInfo {
  channel: string;
  uniqueid: string;
  linkedid: string;
  context: string;
  exten: string;
  state: string;
  application: string;
  bridgeid: string;
  calleridnum: string;
  connectedlinenum: string;
  duration: string;
}

/** AMI CoreShowChannels: the channels that exist now. */
export async function coreShowChannels(): Promise<ChannelInfo[]> {
  const evs = await amiActionList({ action: 'CoreShowChannels' });
  return evs.map((e) => ({
    channel: str(e['channel']), uniqueid: str(e['uniqueid']), linkedid: str(e['linkedid']), context: str(e['context']),
    exten: str(e['exten']), state: str(e['channelstatedesc']), application: str(e['application']), bridgeid: str(e['bridgeid']),
    calleridnum: str(e['calleridnum']), connectedlinenum: str(e['connectedlinenum']), duration: str(e['duration']),
  }));
}

/** Waits for a live channel matching pred (e.g. the PJSIP/101 leg of a call, once Up). */
export function waitForChannel(pred: (c: ChannelInfo) => boolean, timeoutMs: number, what = 'channel'): Promise<ChannelInfo> {
  return waitUntil(async () => (await coreShowChannels()).find(pred), timeoutMs, what, 150);
}

/** AMI Hangup of one channel by its full name (e.g. PJSIP/101-00000003). */
export async function hangupChannel(name: string, cause = 16): Promise<void> {
  await amiAction({ action: 'Hangup', channel: name, cause });
}

/**
 * Hangs up every channel on the sandbox, so that a test that failed part-way (a phone still ringing)
 * leaves the PBX idle for the next one; with `waitMs`, waits until none is left.
 */
export async function hangupEverything(o: { waitMs?: number } = {}): Promise<void> {
  for (const c of await coreShowChannels()) await hangupChannel(c.channel).catch(() => undefined);
  if (o.waitMs) await waitUntil(async () => (await coreShowChannels()).length === 0, o.waitMs, 'no channel left on the sandbox');
}

export interface CallHandle {
  /** Uniqueid of the originated channel = linkedid of the whole call. */
  linkedid: string;
  /** Uniqueid of the ;2 half for Local channels. */
  otherChannelId: string;
  actionid: string;
  /** Resolves with OriginateResponse (Response: Success once the far end answered, Failure otherwise). */
  originateResponse: Promise<AmiMessage>;
}

async function originate(action: AmiAction, timeoutSeconds: number): Promise<CallHandle> {
  await sandboxAmi();
  const linkedid = randomUUID();
  const otherChannelId = randomUUID();
  const actionid = `orig-${linkedid}`;
  const originateResponse = waitForAmiEvent(
    (e) => e['event'] === 'OriginateResponse' && e['actionid'] === actionid,
    (timeoutSeconds + 30) * 1000,
    'OriginateResponse',
  );
  originateResponse.catch(() => undefined); // callers may ignore it
  await amiAction({
    ...action,
    action: 'Originate',
    async: 'true',
    timeout: timeoutSeconds * 1000,
    channelid: linkedid,
    otherchannelid: otherChannelId,
    actionid,
  });
  return { linkedid, otherChannelId, actionid, originateResponse };
}

export interface InboundCallOptions {
  /** The client's number (CallerID of the call). */
  from: string;
  /** The dialled number; its last 3 digits pick the extension when they are one (101..103, 198, 199), else PJSIP/101. */
  did: string;
  /** The client hangs up this many seconds after the call is answered; default: stays until the other side hangs up. */
  talkSeconds?: number;
  /** How long the Originate waits for an answer (default 30 s; the phone itself rings CTI_SANDBOX_RING_TIMEOUT s). */
  timeoutSeconds?: number;
  /**
   * Caller ID exactly as a trunk might send it, any characters (CR/LF, quotes, "<", commas), which the
   * Originate's CallerID header cannot carry: the call goes through the sandbox's [sandbox-trunk], which
   * sets CALLERID(num) and (name) from base64 before it enters cti-inbound. `from` is then ignored.
   */
  trunkCallerId?: { number?: string; name?: string };
}

/**
 * A call from the simulated trunk: AMI Originate Local/<did>@cti-inbound. The ;2 half enters cti-inbound
 * like a trunk call; the ;1 half (the client, context sandbox-caller) plays audio once answered.
 */
export function inboundCall(opts: InboundCallOptions): Promise<CallHandle> {
  const vars: Record<string, string> = {};
  if (opts.talkSeconds !== undefined) vars['TALK'] = String(opts.talkSeconds);
  const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'utf8').toString('base64'));
  const trunk = opts.trunkCallerId;
  if (trunk?.number !== undefined) vars['CALLER_NUM_B64'] = b64(trunk.number)!;
  if (trunk?.name !== undefined) vars['CALLER_NAME_B64'] = b64(trunk.name)!;
  // A Local channel takes its options after the last "/": a DID with a "/" in it needs an empty one.
  const channel = `Local/${opts.did}@${trunk ? 'sandbox-trunk' : sandboxContexts().inbound}${opts.did.includes('/') ? '/' : ''}`;
  return originate({
    channel,
    context: 'sandbox-caller',
    exten: 's',
    priority: 1,
    callerid: trunk ? undefined : `"${opts.from}" <${opts.from}>`,
    variable: Object.keys(vars).length ? vars : undefined,
  }, opts.timeoutSeconds ?? 30);
}

/** Click-to-call as the CTI service does it: Originate PJSIP/<ext> -> cti-click2call,<number>. */
export function clickToCall(opts: { ext: string; number: string; timeoutSeconds?: number }): Promise<CallHandle> {
  return originate({
    channel: `PJSIP/${opts.ext}`,
    context: sandboxContexts().click2call,
    exten: opts.number,
    priority: 1,
    callerid: `"${opts.number}" <${opts.number}>`,
    // As the service's Pbx.clickToCall: FreePBX's user-callerid learns the calling device from it.
    variable: { REALCALLERIDNUM: opts.ext },
  }, opts.timeoutSeconds ?? 30);
}

/**
 * Starts an attended transfer (AMI Atxfer, features.conf atxfer code) on `channel`, the transferer's leg
 * (e.g. PJSIP/101-00000002, which must be bridged with Dial option t/T), consulting `targetExt` in
 * cti-phones. Complete it by hanging up the transferer's channel once the consult call is answered
 * (completeAttendedTransfer), or abort with AMI CancelAtxfer.
 */
export async function attendedTransfer(channel: string, targetExt: string, context = sandboxContexts().phones): Promise<AmiMessage> {
  return amiAction({ action: 'Atxfer', channel, exten: targetExt, context });
}

/** Completes an attended transfer started with attendedTransfer(): hangs up the transferer's leg. */
export async function completeAttendedTransfer(transfererChannel: string): Promise<void> {
  await hangupChannel(transfererChannel);
}

/**
 * Starts a three-way conference from a call, as a CTI panel's "conference" button does over AMI
 * ([cti-conference], sandbox/README.md): the manager's channel (`leaderChannel`, who leads: the
 * conference ends when it leaves) and the other party's (`otherChannel`, for an inbound call the
 * client's Local/<DID>@cti-inbound-…;2) are redirected out of their bridge into ConfBridge room `room`,
 * then the colleague's phone is originated into the same room. Resolves with the colleague's originate
 * (its own linkedid: an originated channel always starts one).
 */
export async function conferenceFromCall(opts: { leaderChannel: string; otherChannel: string; room: string; inviteExt: string; timeoutSeconds?: number }): Promise<CallHandle> {
  await amiAction({ action: 'Setvar', channel: opts.leaderChannel, variable: 'CONF_ROLE', value: 'leader' });
  await amiAction({ action: 'Redirect', channel: opts.leaderChannel, extrachannel: opts.otherChannel, context: 'cti-conference', exten: opts.room, priority: 1, extracontext: 'cti-conference', extraexten: opts.room, extrapriority: 1 });
  return originate({ channel: `PJSIP/${opts.inviteExt}`, context: 'cti-conference', exten: opts.room, priority: 1 }, opts.timeoutSeconds ?? 30);
}

/** AMI BlindTransfer of `channel`'s peer to exten@context (the phone-side REFER is Phone.blindTransfer). */
export async function blindTransferAmi(channel: string, exten: string, context = sandboxContexts().phones): Promise<AmiMessage> {
  return amiAction({ action: 'BlindTransfer', channel, exten, context });
}

/** AMI QueuePause of a member (interface e.g. PJSIP/101) in one queue (or all queues without `queue`). */
export async function queuePause(iface: string, paused: boolean, queue?: string, reason?: string): Promise<AmiMessage> {
  return amiAction({ action: 'QueuePause', interface: iface, paused: paused ? 'true' : 'false', queue, reason });
}

/** The DIDs of the sandbox's call shapes (sandbox/asterisk/extensions.conf [cti-did-targets]). */
export const SHAPE_DIDS = {
  /** queue sales: ringall 101, 102 */
  queueSales: '8005550600',
  /** queue sales-rr: rrmemory 101, 102 */
  queueSalesRr: '8005550601',
  /** queue night (198 only, never answers) for 8 s, then 103 */
  queueNightThen103: '8005550602',
  /** ring group PJSIP/101&PJSIP/102 */
  group101102: '8005550610',
} as const;

/** The next AMI ParkedCall event (any call): where Asterisk parked it (ParkingSpace, e.g. 701). */
export async function waitForParkedCall(timeoutMs = 10_000): Promise<{ space: string; channel: string }> {
  const e = await waitForAmiEvent((x) => x['event'] === 'ParkedCall', timeoutMs, 'ParkedCall');
  return { space: str(e['parkingspace']), channel: str(e['parkeechannel']) };
}

// ------------------------------------------------------------------------------------------ CDR

export interface CdrRow {
  linkedid: string;
  uniqueid: string;
  channel: string;
  dstchannel: string;
  src: string;
  dst: string;
  dcontext: string;
  lastapp: string;
  /** epoch milliseconds (µs precision) of CDR(start,u) */
  start: number;
  /** epoch milliseconds of CDR(answer,u); null when never answered */
  answer: number | null;
  /** epoch milliseconds of CDR(end,u) */
  end: number;
  duration: number;
  billsec: number;
  disposition: string;
  userfield: string;
  sequence: number;
  /** the CSV line as Asterisk wrote it */
  raw: string;
}

/** Column order of dialplan/cdr_custom_cti.conf. */
export const CDR_COLUMNS = ['linkedid', 'uniqueid', 'channel', 'dstchannel', 'src', 'dst', 'dcontext', 'lastapp',
  'start', 'answer', 'end', 'duration', 'billsec', 'disposition', 'userfield', 'sequence'] as const;

/** Parses one CSV_QUOTE line ("a","b ""c""",...). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) break;
        if (line[i] === '"') {
          if (line[i + 1] === '"') { v += '"'; i += 2; continue; }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      if (line[i] === ',') i++; else break;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) { out.push(line.slice(i)); break; }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
  return out;
}

export function parseCdrLine(line: string): CdrRow {
  const f = parseCsvLine(line);
  const g = (i: number): string => f[i] ?? '';
  const ms = (i: number): number | null => (g(i) === '' ? null : Number(g(i)) * 1000);
  return {
    linkedid: g(0), uniqueid: g(1), channel: g(2), dstchannel: g(3), src: g(4), dst: g(5), dcontext: g(6),
    lastapp: g(7), start: ms(8) ?? 0, answer: ms(9), end: ms(10) ?? 0, duration: Number(g(11) || 0),
    billsec: Number(g(12) || 0), disposition: g(13), userfield: g(14), sequence: Number(g(15) || 0), raw: line,
  };
}

/** The one CDR row of `rows` that `pred` picks; the error lists them all when none does. */
export function oneCdr(rows: CdrRow[], pred: (r: CdrRow) => boolean, what: string): CdrRow {
  const r = rows.find(pred);
  if (!r) throw new Error(`no CDR row for ${what} among:\n${rows.map((x) => `${x.channel} -> ${x.dstchannel} ${x.lastapp} ${x.disposition} ${x.billsec}`).join('\n')}`);
  return r;
}

/** Picks the CDR row of the Dial() that rang this extension. */
export const dialTo = (ext: string) => (r: CdrRow) => r.lastapp === 'Dial' && r.dstchannel.startsWith(`PJSIP/${ext}-`);

/**
 * All of the sandbox's CDR rows, oldest first: its cti.csv (CTI_CDR_FILE; [] when Asterisk has not written
 * one yet) or, with the PBX on another host, what cdr_pgsql wrote into PostgreSQL (asked with psql, in the
 * file's columns; an answer time of 0 is "never answered", as the file's empty field).
 */
export function readCdr(file?: string): CdrRow[] {
  const url = file === undefined ? loadSandboxEnv()['CTI_SANDBOX_CDR_DATABASE_URL'] : undefined;
  if (url) {
    const cols = CDR_COLUMNS.map((c) => (c === 'answer' ? `CASE WHEN answer = 0 THEN NULL ELSE answer END` : `"${c}"`)).join(', ');
    const out = execFileSync('psql', [url, '-qAtX', '--csv', '-c', `SELECT ${cols} FROM cdr ORDER BY id`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n').filter((l) => l.trim() !== '').map(parseCdrLine);
  }
  const f = file ?? envValue('CTI_CDR_FILE');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map(parseCdrLine);
}

/**
 * Waits until the CDR rows of `linkedid` exist, no channel of that linkedid is alive any more and the rows
 * stopped growing for settleMs; returns them.
 */
export async function waitForCdr(linkedid: string, timeoutMs = 15_000, settleMs = 800): Promise<CdrRow[]> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const rows = readCdr().filter((r) => r.linkedid === linkedid);
    if (rows.length !== last) { last = rows.length; stableSince = Date.now(); }
    if (rows.length > 0 && Date.now() - stableSince >= settleMs) {
      const live = (await coreShowChannels()).some((c) => c.linkedid === linkedid);
      if (!live) return rows;
    }
    if (Date.now() > deadline) throw new Error(`no settled CDR rows for linkedid ${linkedid} after ${timeoutMs} ms (have ${rows.length})`);
    await sleep(200);
  }
}

/**
 * The recording the dialplan names after the linkedid (host path), whether it exists yet or not. With the
 * PBX on another host: a copy fetched now from its recordings server, as the service fetches it (curl with
 * the service's client certificate), in a temporary file; a path that does not exist when the PBX has none.
 */
export function recordingPath(linkedid: string): string {
  const env = loadSandboxEnv();
  if (env['CTI_SANDBOX_REMOTE'] !== '1') return path.join(envValue('CTI_RECORDINGS_DIR'), `${linkedid}.wav`);
  const dir = mkdtempSync(path.join(tmpdir(), 'cti-rec-'));
  const file = path.join(dir, `${linkedid}.wav`);
  const status = execFileSync('curl', ['-s', '-o', file, '-w', '%{http_code}', '--cacert', env['CTI_PBX_RECORDINGS_CA']!,
    '--cert', env['CTI_PBX_RECORDINGS_CERT']!, '--key', env['CTI_PBX_RECORDINGS_KEY']!, `${env['CTI_PBX_RECORDINGS_URL']}${encodeURIComponent(linkedid)}.wav`], { encoding: 'utf8' });
  if (status !== '200') rmSync(file, { force: true });
  return file;
}

/** Where the phones' ctrl_tcp and the PBX's AMI are reached from here (the PBX's address in the remote layout). */
export function phoneHost(): string {
  return loadSandboxEnv()['CTI_SANDBOX_PHONE_HOST'] || '127.0.0.1';
}

// ------------------------------------------------------------------------------------------ phones (baresip)

export interface PhoneEvent {
  type: string;
  class?: string;
  param?: string;
  peeruri?: string;
  id?: string;
  receivedAt: number;
  [k: string]: unknown;
}

interface PhoneResponse { ok: boolean; data: string; token?: string }

/** One baresip test phone (ctrl_tcp). 101/102/103 auto-answer, 198 never answers, 199 is always busy. */
export class Phone {
  readonly ext: string;
  readonly port: number;
  private sock: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private buf = Buffer.alloc(0);
  private tok = 0;
  private pending = new Map<string, (r: PhoneResponse) => void>();
  private queue: PhoneEvent[] = [];
  private waiters: { type: string; resolve: (e: PhoneEvent) => void }[] = [];

  constructor(ext: string | number) {
    this.ext = String(ext);
    const phones = envValue('CTI_SANDBOX_PHONES');
    const entry = phones.split(',').map((p) => p.split(':')).find(([e]) => e === this.ext);
    if (!entry) throw new Error(`no sandbox phone ${this.ext} (have ${phones})`);
    this.port = Number(entry[1]);
    this.host = phoneHost(); // the sandbox it was made for, whichever one the harness drives later
  }
  private readonly host: string;

  private connect(): Promise<net.Socket> {
    if (this.connecting) return this.connecting;
    this.connecting = new Promise((resolve, reject) => {
      const host = this.host;
      const s = net.connect(this.port, host);
      s.once('connect', () => { this.sock = s; resolve(s); });
      s.once('error', (err) => reject(new Error(`phone ${this.ext}: ctrl_tcp ${host}:${this.port}: ${err.message}`)));
      s.on('data', (d: Buffer) => this.onData(d));
      s.on('close', () => { this.sock = undefined; this.connecting = undefined; });
    });
    return this.connecting;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) { // netstring: <len>:<payload>,
      const c = this.buf.indexOf(0x3a);
      if (c < 0) return;
      const n = Number.parseInt(this.buf.subarray(0, c).toString(), 10);
      if (this.buf.length < c + 2 + n) return;
      const msg = JSON.parse(this.buf.subarray(c + 1, c + 1 + n).toString()) as Record<string, unknown>;
      this.buf = this.buf.subarray(c + 2 + n);
      if (msg['event']) {
        const ev = { ...msg, type: String(msg['type']), receivedAt: Date.now() } as PhoneEvent;
        const i = this.waiters.findIndex((w) => w.type === ev.type);
        if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(ev);
        else this.queue.push(ev);
      } else if (msg['response']) {
        const tok = String(msg['token'] ?? '');
        const cb = this.pending.get(tok);
        this.pending.delete(tok);
        cb?.({ ok: Boolean(msg['ok']), data: String(msg['data'] ?? ''), token: tok });
      }
    }
  }

  /** Sends a baresip command (e.g. 'dial', 'accept', 'hangup', 'transfer', 'reginfo'); resolves with its response. */
  async command(command: string, params = ''): Promise<PhoneResponse> {
    const s = await this.connect();
    const token = `t${++this.tok}`;
    const json = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.pending.delete(token); reject(new Error(`phone ${this.ext}: no response to ${command}`)); }, 5000);
      this.pending.set(token, (r) => { clearTimeout(t); resolve(r); });
      s.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  /** Opens the control connection (events are only seen from then on). */
  async open(): Promise<this> { await this.connect(); return this; }

  private uri(target: string): string {
    return target.startsWith('sip:') ? target : `sip:${target}@${envValue('CTI_SANDBOX_SIP')}`;
  }

  /** Dials a number or extension through Asterisk (context cti-phones). */
  async dial(number: string): Promise<PhoneResponse> { return this.command('dial', this.uri(number)); }
  async answer(): Promise<PhoneResponse> { return this.command('accept'); }
  async hangup(): Promise<PhoneResponse> { return this.command('hangup'); }
  /** Blind transfer of the current call by SIP REFER (Asterisk resolves the target in cti-phones). */
  async blindTransfer(target: string): Promise<PhoneResponse> { return this.command('transfer', this.uri(target)); }
  /**
   * 'manual': the phone rings until answer() (a manager who does not pick up); 'auto': it answers at once
   * (101-103's default; 198 is always manual). Put it back to 'auto' when done: it lasts until the next `up`.
   */
  async answerMode(mode: 'auto' | 'manual'): Promise<void> {
    const r = await this.command('answermode', mode);
    if (!r.ok) throw new Error(`phone ${this.ext}: answermode ${mode}: ${r.data}`);
  }

  /**
   * The next not yet consumed event of this type (CALL_INCOMING, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED,
   * CALL_TRANSFER, REGISTER_OK, ...), received since open(); waits up to timeoutMs.
   */
  async waitFor(eventType: string, timeoutMs = 10_000): Promise<PhoneEvent> {
    await this.connect();
    const i = this.queue.findIndex((e) => e.type === eventType);
    if (i >= 0) return this.queue.splice(i, 1)[0]!;
    return new Promise((resolve, reject) => {
      const w = { type: eventType, resolve: (e: PhoneEvent) => { clearTimeout(t); resolve(e); } };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`phone ${this.ext}: no ${eventType} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Forgets events received so far. */
  clearEvents(): void { this.queue = []; }

  close(): void { this.sock?.end(); this.sock = undefined; this.connecting = undefined; }
}

// ------------------------------------------------------------------------------------------ raw AMI capture

/**
 * A raw TCP AMI session (no parsing on the wire): logs in and keeps every byte received, verbatim, from the
 * connect on. Used to record fixtures as the least-rights `cti` user sees them.
 */
export class RawAmiCapture {
  private sock: net.Socket | undefined;
  private chunks: Buffer[] = [];
  private text = '';
  private scanned = 0;
  /** uniqueid -> hung up? (from Newchannel/Hangup events seen since mark()) */
  readonly channels = new Map<string, boolean>();
  readonly linkedids = new Set<string>();
  private marking = false;

  constructor(private readonly user: string, private readonly secret: string, private readonly port = Number(envValue('CTI_AMI_PORT'))) {}

  /** Connects and logs in; resolves on the Login response. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.port, envValue('CTI_AMI_HOST'));
      this.sock = s;
      s.on('data', (d: Buffer) => {
        this.chunks.push(d);
        this.text += d.toString('utf8');
        this.scan();
        if (/Response: (Success|Error)\r\n/.test(this.text) && !this.loggedIn) {
          this.loggedIn = true;
          if (/Response: Error/.test(this.text)) reject(new Error(`AMI login as ${this.user} failed`)); else resolve();
        }
      });
      s.once('error', reject);
      s.once('connect', () => {
        s.write(`Action: Login\r\nUsername: ${this.user}\r\nSecret: ${this.secret}\r\nEvents: on\r\n\r\n`);
      });
    });
  }
  private loggedIn = false;

  /** From now on track Newchannel/Hangup to know when the calls are over. */
  mark(): void { this.marking = true; }

  private scan(): void {
    for (;;) {
      const end = this.text.indexOf('\r\n\r\n', this.scanned);
      if (end < 0) return;
      const block = this.text.slice(this.scanned, end);
      this.scanned = end + 4;
      if (!this.marking) continue;
      const h = (k: string): string | undefined => new RegExp(`^${k}: (.*)$`, 'm').exec(block)?.[1]?.trim();
      const ev = h('Event');
      const uid = h('Uniqueid');
      if (ev === 'Newchannel' && uid) { this.channels.set(uid, false); const l = h('Linkedid'); if (l) this.linkedids.add(l); }
      if (ev === 'Hangup' && uid) this.channels.set(uid, true);
    }
  }

  /** True once at least one channel appeared after mark() and all of them are hung up. */
  allHungUp(): boolean {
    return this.channels.size > 0 && [...this.channels.values()].every(Boolean);
  }

  /** Stops the session (Logoff is not sent: the capture ends with the last event received). */
  stop(): Buffer {
    this.sock?.destroy();
    this.sock = undefined;
    return Buffer.concat(this.chunks);
  }
}

// ------------------------------------------------------------------------------------------ teardown

/** Closes the shared AMI connection; call from afterAll. */
export async function closeSandbox(): Promise<void> {
  const all = [...amiPromises.values()];
  amiPromises.clear();
  listenersByDir.clear();
  for (const p of all) {
    const ami = await p.catch(() => undefined);
    ami?.disconnect();
  }
}
