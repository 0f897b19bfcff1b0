// One call: the channels Asterisk created for one conversation (grouped by linkedid, joined when a
// transfer, a pickup or a parked call's retrieval moves a channel to another linkedid), its state
// machine, and the record it yields. Everything here is learned from Asterisk's Channel Event Log (CEL,
// src/pbx/cel.ts), live or replayed from the file afterwards: the same events give the same record.
//
//   dialling ──► ringing ──► talking ──► ended
//      │            │                     ▲
//      └────────────┴─────────────────────┘
//
// dialling: a channel exists, no phone rings yet (dialplan, IVR, routing, a queue with nobody free)
// ringing:  a phone (or a manager's mobile) rings for the call
// talking:  two of the call's channels are in one bridge (CEL BRIDGE_ENTER): talk time starts
// ended:    every channel hung up; the record is final
import type { Logger } from '../lib/logger.js';
import { normaliseExternal } from '../lib/phone.js';
import { causeText } from '../pbx/cel.js';
import type { DialStatus, Endpoint } from '../pbx/events.js';
import { dispositionOf, type CallRecord, type Direction, type Disposition, type LegRecord, type QueueOutcome } from './model.js';
import { deepFreeze, type CallSnapshot, type LegView } from './snapshot.js';

export type CallState = 'dialling' | 'ringing' | 'talking' | 'ended';

const ALLOWED: Readonly<Record<CallState, readonly CallState[]>> = {
  dialling: ['ringing', 'talking', 'ended'],
  ringing: ['talking', 'ended'],
  talking: ['ended'],
  ended: [],
};

/** phone: a manager's extension (or their mobile); local: dialplan plumbing (Local channels); external: a trunk. */
export type ChannelKind = 'phone' | 'external' | 'local';

export interface TrackedChannel {
  uniqueId: string;
  name: string;
  kind: ChannelKind;
  /** The manager's extension: the phone's own, or the extension of the user whose mobile this leg rings. */
  extension: string | null;
  createdAt: number;
  answeredAt: number | null;
  /** First BRIDGE_ENTER: the channel talked to someone. */
  bridgedAt: number | null;
  /** Time spent in a bridge with another party (the leg's talk time), and since when it runs now. */
  talkMs: number;
  talkMark: number | null;
  /** The manager's mobile this leg rings (digits as the channel names it), for a follow-me or forwarded leg. */
  mobile: string | null;
  hungupAt: number | null;
  causeCode: number | null;
  /** DIALSTATUS of the last Dial() this channel ran (CEL HANGUP's dialstatus). */
  dialStatus: DialStatus | null;
  /** A phone an AMI Originate rang first (click-to-call): no caller, the phone itself is called. */
  originated: boolean;
  /** A phone a Dial(), a queue or an Originate rang (as opposed to a phone that called). */
  rung: boolean;
  /** What the channel dialled: CALLERID(dnid), or the extension its first dialling application ran at. */
  dialled: string | null;
  /** The caller's number when the channel first ran an application (after the dialplan cleaned it). */
  callerAtApp: string | null;
  /** The newest caller number seen on the channel. */
  lastCaller: string | null;
  /** An originated phone's caller ID as the Originate set it (seen on its AppDial2 events): the client's number. */
  originateCaller: string | null;
  /** The extension the channel was created at (CHAN_START): for a trunk's channel, often the number it calls. */
  startExten: string;
}

export interface CallContext {
  /** The PBX whose events these are (src/pbx/pbxes.ts): a call never spans two. */
  pbxId: string;
  isExtension(resource: string): boolean;
  /** The extension of the user whose mobile is this number (digits as dialled), if one is. */
  mobileExtension(number: string): string | null;
  region: string;
  log: Logger;
  /**
   * The contact and client an outside number (E.164) belongs to (a database lookup: never rejects);
   * absent: calls are not matched (a replay).
   */
  match?: (e164: string | null) => Promise<{ contactId: string; clientId: string } | null>;
  /** The lookup of a call's number came back after the call had changed: its record now names the contact. */
  onMatched?: (call: Call) => void;
}

/** What storage knew of a call adopted after a restart: kept over what the channels alone say. */
export interface KnownFacts {
  direction: Direction;
  origin: 'click2call' | null;
  externalRaw: string | null;
}

interface QueueVisit {
  name: string;
  uniqueId: string;
  enteredAt: number;
  leftAt: number | null;
  answeredAt: number | null;
}

/** A dialled string that is an outside number: digits (and a leading +) only, 5 or more (cti-outbound's _XXXX.). */
const OUTSIDE_NUMBER = /^\+?[0-9]{5,}$/;

export class Call {
  readonly aliases = new Set<string>();
  readonly channels = new Map<string, TrackedChannel>();
  readonly recordingFiles = new Set<string>();
  private _state: CallState = 'dialling';
  answeredAt: number | null = null;
  endedAt: number | null = null;
  lastDialStatus: DialStatus | null = null;
  routedBy: string | null = null;
  /** The dial policy's reason when the dialplan refused the call's number (CEL user event CtiDialDenied). */
  deniedBy: string | null = null;
  queueVisit: QueueVisit | null = null;
  known: KnownFacts | null = null;
  /** Caller-ID match, looked up once per outside number the call is known by (undefined: not yet looked up). */
  match: { contactId: string; clientId: string } | null | undefined = undefined;
  private matchedFor: string | null = null;
  private matching: Promise<void> = Promise.resolve();
  /** Set when a transfer joined this call into another: it is no call of its own any more. */
  absorbedInto: Call | null = null;
  /** Seen only in part (adopted after a restart or reconnect): Asterisk's event log completes it. */
  partial = false;
  private _log: Logger | null = null;
  /** Channels in creation order (ties kept in the order Asterisk logged them). */
  private order: TrackedChannel[] = [];
  /** The managers' phones that rang for the call, in order (noteRinging). */
  private readonly rungExtensions: string[] = [];
  /** The snapshot of the call as it is now; null once anything changed (changed()). */
  private snap: CallSnapshot | null = null;

  constructor(
    readonly id: string,
    readonly linkedId: string,
    public startedAt: number,
    private readonly ctx: CallContext,
  ) {
    this.aliases.add(linkedId);
  }

  get state(): CallState {
    return this._state;
  }

  /** Child logger, made on first use so an idle call costs no logger. */
  get log(): Logger {
    if (!this._log) this._log = this.ctx.log.child({ callId: this.id, linkedId: this.linkedId });
    return this._log;
  }

  transition(next: CallState, at: number): boolean {
    if (next === this._state) return false;
    if (!ALLOWED[this._state].includes(next)) {
      this.log.debug({ from: this._state, to: next, at }, 'call transition ignored');
      return false;
    }
    this.log.debug({ from: this._state, to: next, at }, 'call transition');
    this._state = next;
    this.changed();
    return true;
  }

  /** Something in the call changed: the next snapshot() is built afresh. */
  /** Settles when the lookups of the call's numbers asked so far have come back (the record then has the contact). */
  matched(): Promise<void> {
    return this.matching;
  }

  changed(): void {
    this.snap = null;
  }

  /**
   * The call as it is now, frozen: the same object until the call changes, so every listener of one
   * tracker event gets one snapshot. Looks the outside number up as soon as the log has said who it is
   * (the first application the caller's channel runs; what a phone dialled), and again if that changes.
   */
  snapshot(): CallSnapshot {
    if (this.snap) return this.snap;
    const external = this.externalRaw;
    if (this.ctx.match && this.direction && this.direction !== 'internal' && external && this.matchedFor !== external) {
      // Asked now, answered a moment later: snapshots until then have no contact, the one after has.
      this.matchedFor = external;
      const asked = external;
      const match = this.ctx.match;
      this.matching = this.matching.then(() => match(this.normalisedExternal())).then((m) => {
        if (this.matchedFor !== asked) return; // the number changed meanwhile: its own lookup follows
        const into = this.absorbedInto;
        if (into) {
          // Joined into another call meanwhile: the lookup is that call's, if it has none of its own.
          if (into.match) return;
          into.match = m;
          into.changed();
          this.ctx.onMatched?.(into);
          return;
        }
        this.match = m;
        this.changed();
        this.ctx.onMatched?.(this);
      });
    }
    this.snap = deepFreeze({
      id: this.id,
      pbxId: this.ctx.pbxId,
      linkedId: this.linkedId,
      state: this._state,
      direction: this.direction,
      record: this.toRecord(),
      linkedIds: [...this.aliases],
      rungExtensions: [...this.rungExtensions],
      lastDialStatus: this.lastDialStatus,
    });
    return this.snap;
  }

  /** A manager's phone rings for the call (the tracker's legRinging). */
  noteRinging(ch: TrackedChannel): void {
    if (ch.extension && !this.rungExtensions.includes(ch.extension)) this.rungExtensions.push(ch.extension);
    this.changed();
  }

  /** A recording learned from outside the event log (the dialplan's naming rule, after a restart). */
  addRecordingFile(file: string): void {
    this.recordingFiles.add(file);
    this.changed();
  }

  addChannel(uniqueId: string, name: string, endpoint: Endpoint, at: number, exten = ''): TrackedChannel {
    const existing = this.channels.get(uniqueId);
    if (existing) return existing;
    let kind: ChannelKind;
    let extension: string | null = null;
    let mobile: string | null = null;
    if (!endpoint.local && this.ctx.isExtension(endpoint.resource)) {
      kind = 'phone';
      extension = endpoint.resource;
    } else {
      // A manager's mobile, rung through the trunk (follow-me, forwarding): their leg of the call.
      const byName = endpoint.half === 2 ? null : this.ctx.mobileExtension(endpoint.resource);
      const byExten = byName || endpoint.half === 2 || !exten || exten === 's' ? null : this.ctx.mobileExtension(exten);
      const mobileOf = byName ?? byExten;
      if (mobileOf) {
        kind = 'phone';
        extension = mobileOf;
        mobile = byName ? endpoint.resource : exten;
      } else kind = endpoint.local ? 'local' : 'external';
    }
    const ch: TrackedChannel = {
      uniqueId, name, kind, extension, createdAt: at, answeredAt: null, bridgedAt: null, talkMs: 0, talkMark: null, mobile, hungupAt: null, causeCode: null,
      dialStatus: null, originated: false, rung: false, dialled: null, callerAtApp: null, lastCaller: null, originateCaller: null, startExten: exten,
    };
    this.channels.set(uniqueId, ch);
    this.order.push(ch);
    if (at < this.startedAt) this.startedAt = at;
    return ch;
  }

  get liveChannelCount(): number {
    let n = 0;
    for (const c of this.channels.values()) if (c.hungupAt === null) n++;
    return n;
  }

  /** Take over another call's channels (a transfer, pickup or parking joined two linkedids). */
  absorb(other: Call): void {
    for (const a of other.aliases) this.aliases.add(a);
    for (const c of other.order) {
      if (this.channels.has(c.uniqueId)) continue;
      this.channels.set(c.uniqueId, c);
      this.order.push(c);
    }
    for (const f of other.recordingFiles) this.recordingFiles.add(f);
    if (other.startedAt < this.startedAt) this.startedAt = other.startedAt;
    if (other.answeredAt !== null && (this.answeredAt === null || other.answeredAt < this.answeredAt)) {
      this.answeredAt = other.answeredAt;
      // The joined call talked: so does this one (from dialling or ringing; talking and ended stay).
      this.transition('talking', other.answeredAt);
    }
    for (const e of other.rungExtensions) if (!this.rungExtensions.includes(e)) this.rungExtensions.push(e);
    this.routedBy ??= other.routedBy;
    this.deniedBy ??= other.deniedBy;
    if (!this.queueVisit || (other.queueVisit && other.queueVisit.enteredAt < this.queueVisit.enteredAt)) this.queueVisit = other.queueVisit ?? this.queueVisit;
    this.known ??= other.known;
    if (!this.match) this.match = other.match;
    this.partial ||= other.partial;
    other.absorbedInto = this;
    this.changed();
  }

  /** The first channel: who started the call. */
  private originChannel(): TrackedChannel | null {
    let first: TrackedChannel | null = null;
    for (const c of this.order) if (!first || c.createdAt < first.createdAt) first = c;
    return first;
  }

  /** Direction and outside party from the channels alone (no dialplan marker): see the README, "How a call is read". */
  private facts(): { direction: Direction; origin: 'click2call' | null; externalRaw: string | null } | null {
    if (this.known) return this.known;
    const o = this.originChannel();
    if (!o) return null;
    if (o.kind === 'phone') {
      // A phone an Originate rang first: our click-to-call (the only Originate to a phone we make); the
      // client's number is what the phone's channel dialled once answered, else the Originate's CallerID.
      // An Originate that gave the phone its own number (another tool's click-to-call) names no client:
      // the number is then the one the outside channel was created for.
      if (o.originated) {
        const caller = o.originateCaller === o.extension ? null : o.originateCaller;
        return { direction: 'outbound', origin: 'click2call', externalRaw: digits(o.dialled) ?? digits(caller) ?? this.calledOutside(o) };
      }
      const dialled = o.dialled;
      if (dialled && OUTSIDE_NUMBER.test(dialled) && !this.ctx.isExtension(dialled)) return { direction: 'outbound', origin: null, externalRaw: dialled };
      return { direction: 'internal', origin: null, externalRaw: o.extension };
    }
    // From outside: the caller is the number on the first channel that ran the dialplan's applications.
    let caller: string | null = null;
    for (const c of this.order) {
      if (c.kind !== 'phone' && c.callerAtApp) { caller = c.callerAtApp; break; }
    }
    return { direction: 'inbound', origin: null, externalRaw: caller ?? o.lastCaller };
  }

  /** The outside number the first non-phone channel after `from` was created for (its CHAN_START extension). */
  private calledOutside(from: TrackedChannel): string | null {
    for (const c of this.order) {
      if (c === from || c.kind === 'phone' || c.createdAt < from.createdAt) continue;
      if (OUTSIDE_NUMBER.test(c.startExten) && !this.ctx.isExtension(c.startExten)) return c.startExten;
    }
    return null;
  }

  get direction(): Direction | null {
    return this.facts()?.direction ?? null;
  }

  get externalRaw(): string | null {
    return this.facts()?.externalRaw ?? null;
  }

  /** libphonenumber parsing is the costliest step of a record: once per raw number. */
  private normalised: { raw: string | null; e164: string | null } | null = null;
  normalisedExternal(): string | null {
    const raw = this.externalRaw;
    if (!this.normalised || this.normalised.raw !== raw) this.normalised = { raw, e164: normaliseExternal(raw, this.ctx.region) };
    return this.normalised.e164;
  }

  /**
   * The managers' legs. A mobile reached through dialplan plumbing shows up on each Local channel on the
   * way (follow-me's own dial, then the trunk's): the one created last, while the earlier was up, is the leg.
   */
  private phoneLegs(): TrackedChannel[] {
    const phones = this.order.filter((c) => c.kind === 'phone');
    return phones
      .filter((c) => !c.mobile || !phones.some((o) => o !== c && o.mobile === c.mobile && o.createdAt >= c.createdAt && (c.hungupAt === null || o.createdAt <= c.hungupAt) && this.order.indexOf(o) > this.order.indexOf(c)))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The manager the call belongs to: the caller for outbound, else who answered last (after transfers), else who it rang last. */
  private managerLeg(direction: Direction, origin: TrackedChannel | null): TrackedChannel | null {
    const from = origin?.kind === 'phone' ? origin : null;
    if (direction === 'outbound' && from) return from;
    // A phone an Originate brought in (a colleague dialled into a conference) joins the call; it does not take it over.
    const candidates = this.phoneLegs().filter((c) => c !== from && !c.originated);
    const answered = candidates.filter((c) => c.answeredAt !== null).sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0));
    return answered.at(-1) ?? candidates.at(-1) ?? from;
  }

  /** How the call left its queue: answered by a member, given up by the caller, or let go on by the queue. */
  private queueOutcome(q: QueueVisit, caller: TrackedChannel | null): QueueOutcome | null {
    if (q.answeredAt !== null) return 'answered';
    if (q.leftAt === null) return null;
    // The caller's side hung up first (it ends the queue's channel at once, in the same burst of events).
    const callerGone = caller && caller.hungupAt !== null && caller.hungupAt <= q.leftAt + 50;
    return callerGone ? 'abandoned' : 'timeout';
  }

  toRecord(): CallRecord {
    const f = this.facts() ?? { direction: 'inbound' as const, origin: null, externalRaw: null };
    const direction = f.direction;
    const now = this.endedAt;
    const legs: LegRecord[] = this.phoneLegs().map((c) => {
      const end = c.hungupAt;
      return {
        uniqueId: c.uniqueId,
        channel: c.name,
        extension: c.extension,
        startedAt: c.createdAt,
        answeredAt: c.answeredAt,
        endedAt: end,
        ringMs: end === null && c.answeredAt === null ? 0 : Math.max(0, (c.answeredAt ?? end ?? c.createdAt) - c.createdAt),
        talkMs: c.talkMs,
        disposition: end === null && c.answeredAt === null ? null : c.answeredAt !== null ? 'answered' : legDisposition(c),
        hangupCause: c.causeCode === null ? null : causeText(c.causeCode),
      };
    });
    const origin = this.originChannel();
    const manager = this.managerLeg(direction, origin);
    const external = direction === 'internal' ? f.externalRaw : this.normalisedExternal();
    const ended = this._state === 'ended';
    // The cause of the first hangup that carried one (who ended the call, and why); Local channels last.
    const causes = [...this.order]
      .filter((c) => c.causeCode !== null && c.hungupAt !== null)
      .sort((a, b) => Number(a.kind === 'local') - Number(b.kind === 'local') || Number(a.causeCode === 0) - Number(b.causeCode === 0) || (a.hungupAt ?? 0) - (b.hungupAt ?? 0));
    const q = this.queueVisit;
    const caller = direction === 'inbound' ? origin : null;
    let disposition: Disposition | null = null;
    if (ended) {
      if (this.answeredAt !== null) disposition = 'answered';
      else if (this.deniedBy) disposition = 'failed';
      else if (this.lastDialStatus) disposition = dispositionOf(this.lastDialStatus);
      else disposition = legs.some((l) => l.disposition === 'busy') ? 'busy' : 'no_answer';
    }
    return {
      linkedId: this.linkedId,
      mergedLinkedIds: [...this.aliases].filter((a) => a !== this.linkedId),
      state: ended ? 'ended' : 'live',
      source: 'ami',
      needsCdr: this.partial,
      direction,
      origin: f.origin,
      externalNumber: external,
      contactId: this.match?.contactId ?? null,
      clientId: this.match?.clientId ?? null,
      routedBy: this.routedBy,
      extension: manager?.extension ?? null,
      startedAt: this.startedAt,
      answeredAt: this.answeredAt,
      endedAt: now,
      ringMs: Math.max(0, ((this.answeredAt ?? now ?? this.startedAt) - this.startedAt)),
      talkMs: this.answeredAt !== null && now !== null ? Math.max(0, now - this.answeredAt) : 0,
      disposition,
      hangupCause: ended && causes[0] ? causeText(causes[0].causeCode!) : null,
      recordingFile: [...this.recordingFiles][0] ?? null,
      queue: q?.name ?? null,
      queueWaitMs: q ? Math.max(0, (q.answeredAt ?? q.leftAt ?? now ?? q.enteredAt) - q.enteredAt) : null,
      queueOutcome: q ? (ended || q.answeredAt !== null ? this.queueOutcome(q, caller) : null) : null,
      legs,
    };
  }
}

/** The digits (and a leading +) of what was dialled; null when nothing is left. */
function digits(s: string | null): string | null {
  if (!s) return null;
  const d = s.replace(/[^0-9+]/g, '').replace(/(?!^)\+/g, '');
  return d === '' || d === '+' ? null : d;
}

/** Q.850 cause of a phone leg that never answered -> what happened to it. */
export function legStatus(c: TrackedChannel): DialStatus {
  if (c.answeredAt !== null) return 'ANSWER';
  switch (c.causeCode) {
    case 17: return 'BUSY';
    case 1: case 3: case 20: case 27: case 38: return 'CHANUNAVAIL';
    case 21: return 'OTHER';
    case 34: case 42: return 'CONGESTION';
    default: return 'NOANSWER';
  }
}

function legDisposition(c: TrackedChannel): Disposition {
  return dispositionOf(legStatus(c));
}

/** A frozen plain view of a manager's leg for the tracker's leg events (never the mutable channel). */
export function legView(c: TrackedChannel): LegView {
  return Object.freeze({
    uniqueId: c.uniqueId, channel: c.name, extension: c.extension, mobile: c.mobile, createdAt: c.createdAt,
    answeredAt: c.answeredAt, hungupAt: c.hungupAt, originated: c.originated, rung: c.rung,
  });
}
