// The call tracker: the one interpreter of Asterisk's Channel Event Log (CEL). It feeds CEL records
// into one Call object per conversation and says when a call starts, changes and ends; the same records
// replayed afterwards from the CEL file (reconcile.ts) give the same Call and the same record.
// A registry (Map) of live calls, keyed by every linkedid the call has carried. Times come from the
// events (Asterisk's clock), never from arrival.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/logger.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { mixMonitorFile, parseEndpoint, queueName } from '../pbx/cel.js';
import type { DialStatus, LiveChannel, PbxEvent } from '../pbx/events.js';
import { MAIN_PBX } from '../pbx/pbx-id.js';
import { Call, legStatus, legView, type CallContext, type TrackedChannel } from './call.js';
import type { CallSnapshot, LegView } from './snapshot.js';
import { DENY_REASONS } from './dial-policy.js';

export interface TrackerOptions {
  /** The PBX whose events this tracker follows (default main). */
  pbxId?: string;
  /** Which endpoints are managers' phones (CTI_EXTENSION_PATTERN): anything with a test(), a RegExp. */
  extensionPattern: { test(resource: string): boolean };
  region: string;
  log: Logger;
  /** The extension of the user whose mobile is this number (follow-me and forwarding legs). */
  mobileExtension?: (number: string) => string | null;
  /** The contact and client an outside number belongs to, looked up once per call (the live log; a replay has none). */
  match?: (e164: string | null) => Promise<{ contactId: string; clientId: string } | null>;
  newId?: () => string;
}

// Every event carries the call's snapshot as the change left it (Call.snapshot(): one frozen object for
// all listeners). `call` is the live object, for the call log that owns storage (recordings, the
// partial flag); the rest of the service reads the snapshot.
type TrackerEvents = {
  /** A call appeared, was answered, or changed in a way worth saving. */
  updated: (snap: CallSnapshot, call: Call) => void;
  ended: (snap: CallSnapshot, call: Call) => void;
  /** An ended call's contact was found only after it ended (the lookup is a database query): save it again. */
  matched: (snap: CallSnapshot, call: Call) => void;
  /** `fromId` no longer exists: its channels, linkedids and rung phones now belong to `into`. */
  merged: (m: { into: CallSnapshot; fromId: string }, call: Call) => void;
  // Leg-level events: one manager phone's part of a call, as it happens (screen pops, click-to-call
  // progress). They change nothing in the call or its record. `at` is Asterisk's event time.
  // `originate`: the phone is the one an AMI Originate rang first (click-to-call rings the manager first).
  /** A phone's channel was created for the call: it rings (CEL CHAN_START of PJSIP/<ext>); once per channel. */
  legRinging: (snap: CallSnapshot, leg: LegView, info: LegInfo) => void;
  /** The phone answered (CEL ANSWER of a phone the call rang). */
  legAnswered: (snap: CallSnapshot, leg: LegView, info: LegInfo) => void;
  /** The phone's channel hung up; `status` is how its ringing ended (ANSWER, BUSY, NOANSWER ...). */
  legEnded: (snap: CallSnapshot, leg: LegView, info: LegInfo & { status: DialStatus | null }) => void;
};

export interface LegInfo {
  at: number;
  originate: boolean;
}

/** What is known of a call from storage when it is adopted after a restart or reconnect. */
export interface KnownCall {
  id: string;
  linkedId: string;
  startedAt: number;
  answeredAt: number | null;
  direction: 'inbound' | 'outbound' | 'internal';
  origin: 'click2call' | null;
  externalNumber: string | null;
  /** The recording storage knew (from the MixMonitor start the run before the restart saw). */
  recordingFile: string | null;
}

/** Applications that dial out for the channel running them: what they ran at is what the caller dialled. */
const DIALLING_APPS = new Set(['Dial', 'Queue', 'FollowMe', 'Pickup', 'PickupChan', 'ParkedCall', 'ConfBridge', 'Stasis']);
const DIAL_STATUSES = new Set(['ANSWER', 'BUSY', 'NOANSWER', 'CANCEL', 'CONGESTION', 'CHANUNAVAIL', 'DONTCALL', 'TORTURE', 'INVALIDARGS']);
/** Our router's reasons (src/routing) and the dial policy's: a user event with any other word is ignored. */
const ROUTED_BY = /^(?:prior_manager|owner|default|fallback|turnover:[A-Za-z0-9_-]{1,64})$/;
const DENIED_BY = new Set<string>([...DENY_REASONS, 'rate', 'concurrency']);

/** CELGenUserEvent's extra: the text after the event's name (Asterisk gives it as a JSON string or {"extra": ...}). */
function userEventText(extra: Record<string, unknown>): string {
  const v = extra['extra'] ?? extra['text'];
  return typeof v === 'string' ? v.trim() : '';
}

export class CallTracker extends TypedEmitter<TrackerEvents> {
  private readonly byLinkedId = new Map<string, Call>();
  private readonly byUniqueId = new Map<string, Call>();
  private readonly ctx: CallContext;
  private readonly newId: () => string;
  /** Who is in each bridge (CEL BRIDGE_ENTER/EXIT): two parties in one bridge talk. */
  private readonly bridges = new Map<string, Set<string>>();
  /** Asterisk time of the newest event seen: "now" on the PBX's clock. */
  lastEventAt = 0;

  constructor(opts: TrackerOptions) {
    super();
    this.ctx = { pbxId: opts.pbxId ?? MAIN_PBX, isExtension: (r) => opts.extensionPattern.test(r), mobileExtension: opts.mobileExtension ?? (() => null), region: opts.region, log: opts.log };
    if (opts.match) this.ctx.match = opts.match;
    // A contact found after the call last changed: a live call's listeners see it at once (the board,
    // the call log); an ended one's only the call log (it rewrites the row), not the board.
    this.ctx.onMatched = (call) => {
      if (call.state !== 'ended') this.emit('updated', call.snapshot(), call);
      else this.emit('matched', call.snapshot(), call);
    };
    this.newId = opts.newId ?? randomUUID;
  }

  get liveCount(): number {
    return new Set(this.byLinkedId.values()).size;
  }

  liveCalls(): Call[] {
    return [...new Set(this.byLinkedId.values())];
  }

  find(linkedId: string): Call | undefined {
    return this.byLinkedId.get(linkedId);
  }

  private create(linkedId: string, at: number, id = this.newId()): Call {
    const call = new Call(id, linkedId, at, this.ctx);
    this.byLinkedId.set(linkedId, call);
    return call;
  }

  /** The call this channel event belongs to, joining calls when Asterisk moved the channel to another linkedid. */
  private callFor(uniqueId: string, linkedId: string, at: number): Call {
    const byChan = this.byUniqueId.get(uniqueId);
    const byLinked = linkedId ? this.byLinkedId.get(linkedId) : undefined;
    if (byChan && byLinked && byChan !== byLinked) return this.merge(byChan, byLinked);
    if (byChan) {
      if (linkedId && !byChan.aliases.has(linkedId)) {
        byChan.aliases.add(linkedId);
        this.byLinkedId.set(linkedId, byChan);
      }
      return byChan;
    }
    return byLinked ?? this.create(linkedId || uniqueId, at);
  }

  private channelOf(uniqueId: string): TrackedChannel | undefined {
    return this.byUniqueId.get(uniqueId)?.channels.get(uniqueId);
  }

  /** Talk time per leg: each member of a bridge of two or more is talking; add what ran until `at`. */
  private settle(bridgeId: string, at: number): void {
    for (const uid of this.bridges.get(bridgeId) ?? []) {
      const c = this.channelOf(uid);
      if (c && c.talkMark !== null) {
        c.talkMs += Math.max(0, at - c.talkMark);
        c.talkMark = at;
      }
    }
  }

  /** After a bridge changed: its members talk from `at` on while two or more share it. */
  private mark(bridgeId: string, at: number): void {
    const members = this.bridges.get(bridgeId);
    if (!members) return;
    for (const uid of members) {
      const c = this.channelOf(uid);
      if (c) c.talkMark = members.size >= 2 ? at : null;
    }
  }

  /** The older call absorbs the newer; the newer's id disappears. */
  private merge(a: Call, b: Call): Call {
    const [into, from] = a.startedAt <= b.startedAt ? [a, b] : [b, a];
    into.absorb(from);
    for (const alias of from.aliases) this.byLinkedId.set(alias, into);
    for (const uid of from.channels.keys()) this.byUniqueId.set(uid, into);
    into.log.info({ merged: from.linkedId }, 'calls joined by a transfer');
    this.emit('merged', { into: into.snapshot(), fromId: from.id }, into);
    return into;
  }

  /**
   * The interpreter: one CEL record at a time, live or replayed (the reconciler feeds the file through a
   * tracker of its own). Other PBX events are not about the record and are ignored here.
   */
  handle(e: PbxEvent): void {
    // Whatever the record changed in its call, a snapshot taken from here on shows it.
    this.interpret(e)?.changed();
  }

  private updated(call: Call): void {
    call.changed();
    this.emit('updated', call.snapshot(), call);
  }

  private leg(name: 'legRinging' | 'legAnswered', call: Call, ch: TrackedChannel, info: LegInfo): void {
    call.changed();
    this.emit(name, call.snapshot(), legView(ch), info);
  }

  private interpret(e: PbxEvent): Call | undefined {
    if (e.type !== 'cel') return;
    if (e.at > this.lastEventAt) this.lastEventAt = e.at;
    // A channel's events after its HANGUP (CHAN_END, LINKEDID_END) add nothing; one never seen starts with CHAN_START.
    if (e.name === 'CHAN_END' || e.name === 'LINKEDID_END') return;
    if (e.name !== 'CHAN_START' && !this.byUniqueId.has(e.uniqueId) && !this.byLinkedId.has(e.linkedId)) return;
    const call = this.callFor(e.uniqueId, e.linkedId, e.at);
    this.apply(e, call);
    return call;
  }

  private apply(e: Extract<PbxEvent, { type: 'cel' }>, call: Call): void {
    const fresh = call.channels.size === 0;
    const known = call.channels.has(e.uniqueId);
    const ch = call.addChannel(e.uniqueId, e.channel, e.endpoint, e.at, e.exten);
    this.byUniqueId.set(e.uniqueId, call);
    if (e.callerNumber) ch.lastCaller = e.callerNumber;
    if (e.app === 'AppDial2') {
      ch.originated = true;
      // The Originate's caller ID, as its first AppDial2 record carries it: a dialplan the call then runs
      // may give the channel the manager's own (FreePBX's user-callerid), which its later records show.
      if (e.callerNumber && ch.originateCaller === null) ch.originateCaller = e.callerNumber;
    }
    if (!known && ch.kind === 'phone') {
      // A phone channel that does not start its call was rung by it (Dial, Queue, FollowMe); one that
      // starts a call at the default extension "s" is an Originate's (Asterisk creates the outgoing
      // channel there); one that starts at a dialled extension is a phone calling.
      if (!fresh) ch.rung = true;
      else if (e.name === 'CHAN_START' && e.exten === 's') { ch.rung = true; ch.originated = true; }
      else if (e.exten && e.exten !== 's') ch.dialled = e.dnid ?? e.exten;
      if (ch.rung) {
        call.noteRinging(ch);
        if (call.transition('ringing', e.at) && !fresh) this.updated(call);
        this.leg('legRinging', call, ch, { at: e.at, originate: ch.originated });
      }
    }
    if (fresh) this.updated(call);
    switch (e.name) {
      case 'ANSWER':
        if (ch.answeredAt === null) {
          ch.answeredAt = e.at;
          if (ch.kind === 'phone' && ch.rung) this.leg('legAnswered', call, ch, { at: e.at, originate: ch.originated });
        }
        return;
      case 'APP_START': {
        const external = call.externalRaw;
        if (ch.callerAtApp === null) ch.callerAtApp = e.callerNumber;
        if (DIALLING_APPS.has(e.app) && ch.dialled === null && (!ch.rung || ch.originated)) ch.dialled = e.dnid ?? (e.exten !== 's' ? e.exten : null);
        // Who the outside party is, learned now: worth saving (the caller-ID match, the live board).
        if (call.externalRaw !== external) this.updated(call);
        if (e.app === 'MixMonitor') {
          const file = mixMonitorFile(e.appData);
          if (file) call.recordingFiles.add(file);
        } else if (e.app === 'Queue' && !call.queueVisit) {
          const name = queueName(e.appData);
          if (name) call.queueVisit = { name, uniqueId: ch.uniqueId, enteredAt: e.at, leftAt: null, answeredAt: null };
        }
        return;
      }
      case 'APP_END': {
        const q = call.queueVisit;
        if (e.app === 'Queue' && q && q.uniqueId === ch.uniqueId && q.leftAt === null) q.leftAt = e.at;
        return;
      }
      case 'BRIDGE_ENTER': {
        // A holding bridge (a parking lot, music on hold) holds callers side by side, talking to nobody:
        // all parked calls share the lot's one bridge. Neither talk nor one conversation.
        if (e.extra['bridge_technology'] === 'holding_bridge') return;
        const id = typeof e.extra['bridge_id'] === 'string' ? e.extra['bridge_id'] : '';
        if (ch.bridgedAt === null) ch.bridgedAt = e.at;
        const q = call.queueVisit;
        if (q && q.uniqueId === ch.uniqueId && q.leftAt === null && q.answeredAt === null) q.answeredAt = e.at;
        if (!id) return;
        this.settle(id, e.at);
        let members = this.bridges.get(id);
        if (!members) this.bridges.set(id, (members = new Set()));
        members.add(e.uniqueId);
        this.mark(id, e.at);
        // Whoever shares a bridge shares the conversation: a conference (ConfBridge) joins a colleague's
        // call of its own (an Originate into the room keeps its linkedid) to the call it was started from.
        let into = call;
        for (const uid of members) {
          const other = this.byUniqueId.get(uid);
          if (other && other !== into) into = this.merge(into, other);
        }
        // Talk starts when two parties share a bridge: a Dial or a queue member answered, a pickup, a
        // parked call retrieved, a conference joined.
        if (members.size >= 2 && into.answeredAt === null) {
          into.answeredAt = e.at;
          into.transition('talking', e.at);
          this.updated(into);
        }
        return;
      }
      case 'BRIDGE_EXIT': {
        const id = typeof e.extra['bridge_id'] === 'string' ? e.extra['bridge_id'] : '';
        const members = this.bridges.get(id);
        if (members) {
          this.settle(id, e.at);
          members.delete(e.uniqueId);
          ch.talkMark = null;
          this.mark(id, e.at);
          if (members.size === 0) this.bridges.delete(id);
        }
        return;
      }
      case 'USER_DEFINED': {
        // The dialplan's own words (CELGenUserEvent in dialplan/extensions_cti.conf), checked against ours.
        const word = userEventText(e.extra);
        if (e.userEvent === 'CtiRoute' && ROUTED_BY.test(word)) call.routedBy = word;
        else if (e.userEvent === 'CtiDialDenied' && DENIED_BY.has(word)) call.deniedBy = word;
        else return;
        this.updated(call);
        return;
      }
      case 'ATTENDEDTRANSFER': {
        // The transfer joins the consultation call into the transferred one: the same conversation.
        for (const k of ['channel2_uniqueid', 'transferee_channel_uniqueid', 'transfer_target_channel_uniqueid']) {
          const uid = e.extra[k];
          const other = typeof uid === 'string' ? this.byUniqueId.get(uid) : undefined;
          const into = this.byUniqueId.get(e.uniqueId);
          if (other && into && other !== into) this.merge(into, other);
        }
        return;
      }
      case 'HANGUP': {
        if (ch.hungupAt !== null) return;
        ch.hungupAt = e.at;
        if (ch.talkMark !== null) { ch.talkMs += Math.max(0, e.at - ch.talkMark); ch.talkMark = null; }
        const cause = Number(e.extra['hangupcause']);
        ch.causeCode = Number.isFinite(cause) ? cause : null;
        const ds = typeof e.extra['dialstatus'] === 'string' ? e.extra['dialstatus'] : '';
        if (ds) {
          ch.dialStatus = (DIAL_STATUSES.has(ds) ? ds : 'OTHER') as DialStatus;
          call.lastDialStatus = ch.dialStatus;
        }
        this.byUniqueId.delete(e.uniqueId);
        if (ch.kind === 'phone') {
          call.changed();
          this.emit('legEnded', call.snapshot(), legView(ch), { at: e.at, originate: ch.originated, status: ch.rung ? legStatus(ch) : ch.dialStatus });
        }
        if (call.liveChannelCount === 0) this.end(call, e.at);
        return;
      }
      default:
        return;
    }
  }

  private end(call: Call, at: number): void {
    call.endedAt = at;
    call.transition('ended', at);
    for (const alias of call.aliases) if (this.byLinkedId.get(alias) === call) this.byLinkedId.delete(alias);
    for (const uid of call.channels.keys()) if (this.byUniqueId.get(uid) === call) this.byUniqueId.delete(uid);
    call.log.info({ state: 'ended' }, 'call ended');
    call.changed();
    this.emit('ended', call.snapshot(), call);
  }

  /**
   * After a reconnect or restart: calls we track that have no channel left in Asterisk ended while we
   * were not listening. End them at `at` (our last sight) and mark them partial so the CDR completes them.
   */
  endMissing(live: LiveChannel[], at: number): Call[] {
    const liveLinked = new Set(live.map((c) => c.linkedId));
    const liveUnique = new Set(live.map((c) => c.uniqueId));
    const gone: Call[] = [];
    for (const call of this.liveCalls()) {
      const alive = [...call.aliases].some((a) => liveLinked.has(a)) || [...call.channels.keys()].some((u) => liveUnique.has(u));
      if (alive) continue;
      call.partial = true;
      this.end(call, Math.max(at, call.startedAt));
      gone.push(call);
    }
    return gone;
  }

  /**
   * Adopt calls in progress that we did not see start (AMI CoreShowChannels), using what storage knows.
   * `now` is the PBX's current time in ms. Adopted calls are partial: the CEL file completes their times.
   */
  adopt(live: LiveChannel[], known: (linkedId: string) => KnownCall | undefined, now: number): Call[] {
    const groups = new Map<string, LiveChannel[]>();
    for (const c of live) {
      if (this.byUniqueId.has(c.uniqueId) || this.byLinkedId.has(c.linkedId)) continue;
      const g = groups.get(c.linkedId) ?? [];
      g.push(c);
      groups.set(c.linkedId, g);
    }
    const adopted: Call[] = [];
    for (const [linkedId, chans] of groups) {
      const k = known(linkedId);
      const oldest = Math.max(...chans.map((c) => c.durationSeconds));
      const call = this.create(linkedId, k?.startedAt ?? now - oldest * 1000, k?.id);
      call.partial = true;
      for (const c of [...chans].sort((a, b) => b.durationSeconds - a.durationSeconds)) {
        const ch = call.addChannel(c.uniqueId, c.channel, parseEndpoint(c.channel), now - c.durationSeconds * 1000, c.exten);
        if (c.state === 'up') ch.answeredAt = ch.createdAt;
        // Talking already (how long, the log will say): its talk time runs from here until it leaves.
        if (c.bridged) ch.talkMark = now;
        ch.lastCaller = c.callerNumber;
        ch.callerAtApp = c.callerNumber;
        if (ch.kind === 'phone' && call.channels.size > 1) ch.rung = true;
        this.byUniqueId.set(c.uniqueId, call);
      }
      if (k) {
        call.known = { direction: k.direction, origin: k.origin, externalRaw: k.externalNumber };
        call.answeredAt = k.answeredAt;
        if (k.recordingFile) call.recordingFiles.add(k.recordingFile);
      } else if (chans.some((c) => c.bridged)) call.answeredAt = now;
      if (call.answeredAt !== null) call.transition('talking', now);
      else call.transition('ringing', now);
      call.log.info({ channels: chans.length }, 'adopted a call in progress');
      this.updated(call);
      adopted.push(call);
    }
    return adopted;
  }
}

