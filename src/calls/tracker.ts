// The call tracker: feeds PbxEvents into one Call object per conversation and says when a call starts,
// changes and ends. A registry (Map) of live calls, keyed by every linkedid the call has carried.
// Times come from the events (Asterisk's clock), never from arrival.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/logger.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import type { DialStatus, LiveChannel, PbxEvent } from '../pbx/events.js';
import { Call, type CallContext, type TrackedChannel } from './call.js';

export interface TrackerOptions {
  extensionPattern: RegExp;
  region: string;
  log: Logger;
  newId?: () => string;
}

type TrackerEvents = {
  /** A call appeared, was answered, or changed in a way worth saving. */
  updated: (call: Call) => void;
  ended: (call: Call) => void;
  /** `from` no longer exists: its channels now belong to `into`. */
  merged: (into: Call, fromId: string) => void;
  // Leg-level events: one manager phone's part of a call, as it happens (screen pops, click-to-call
  // progress). They change nothing in the call or its record. `at` is Asterisk's event time.
  // `originate`: the dial is AMI Originate's own (no calling party; click-to-call rings the manager first).
  /** A Dial() began ringing a phone (AMI DialBegin to PJSIP/<ext>); once per phone channel. */
  legRinging: (call: Call, leg: TrackedChannel, info: LegInfo) => void;
  /** The phone answered that Dial() (DialEnd DialStatus=ANSWER). */
  legAnswered: (call: Call, leg: TrackedChannel, info: LegInfo) => void;
  /** The phone's channel hung up; `status` is how its Dial() ended (null: no Dial rang it). */
  legEnded: (call: Call, leg: TrackedChannel, info: LegInfo & { status: DialStatus | null }) => void;
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
  /** The recording storage knew (the CtiRecording event of the run before the restart). */
  recordingFile: string | null;
}

export class CallTracker extends TypedEmitter<TrackerEvents> {
  private readonly byLinkedId = new Map<string, Call>();
  private readonly byUniqueId = new Map<string, Call>();
  private readonly ctx: CallContext;
  private readonly newId: () => string;
  /** Phone channels a Dial() rang, and whether that dial was Originate's own (for the leg events). */
  private readonly rung = new WeakMap<TrackedChannel, boolean>();
  /**
   * Click-to-call requests by linkedid (our Originate ChannelId) -> the client's number. When the
   * manager's own phone is busy or never answers, cti-click2call never runs and no CtiCall mark comes:
   * the call would look like an internal call of the manager's phone to itself.
   */
  private readonly expected = new Map<string, string>();
  /** Asterisk time of the newest event seen: "now" on the PBX's clock. */
  lastEventAt = 0;

  constructor(opts: TrackerOptions) {
    super();
    this.ctx = { isExtension: (r) => opts.extensionPattern.test(r), region: opts.region, log: opts.log };
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
    const number = this.expected.get(linkedId);
    if (number !== undefined) {
      this.expected.delete(linkedId);
      markClickToCall(call, number);
    }
    return call;
  }

  /** Click-to-call is about to Originate with ChannelId = linkedId, to dial `number` (digits). */
  expectClickToCall(linkedId: string, number: string): void {
    this.expected.set(linkedId, number);
  }

  /** The request ended without a channel (phone not registered, PBX refused): nothing will come. */
  forgetClickToCall(linkedId: string): void {
    this.expected.delete(linkedId);
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

  /** The older call absorbs the newer; the newer's id disappears. */
  private merge(a: Call, b: Call): Call {
    const [into, from] = a.startedAt <= b.startedAt ? [a, b] : [b, a];
    into.absorb(from);
    for (const alias of from.aliases) this.byLinkedId.set(alias, into);
    for (const uid of from.channels.keys()) this.byUniqueId.set(uid, into);
    into.log.info({ merged: from.linkedId }, 'calls joined by a transfer');
    this.emit('merged', into, from.id);
    return into;
  }

  handle(e: PbxEvent): void {
    if (e.at > this.lastEventAt) this.lastEventAt = e.at;
    switch (e.type) {
      case 'channel.created': {
        const call = this.callFor(e.uniqueId, e.linkedId, e.at);
        const fresh = call.channels.size === 0;
        call.addChannel(e.uniqueId, e.channel, e.at);
        this.byUniqueId.set(e.uniqueId, call);
        if (fresh) this.emit('updated', call);
        return;
      }
      case 'channel.state': {
        if (!this.byUniqueId.has(e.uniqueId) && !this.byLinkedId.has(e.linkedId)) return;
        const call = this.callFor(e.uniqueId, e.linkedId, e.at);
        const ch = call.addChannel(e.uniqueId, e.channel, e.at);
        this.byUniqueId.set(e.uniqueId, call);
        if (e.state === 'ringing' && call.transition('ringing', e.at)) this.emit('updated', call);
        if (e.state === 'up' && ch.answeredAt === null) ch.answeredAt = e.at;
        return;
      }
      case 'dial.begin': {
        const call = this.callFor(e.destUniqueId, e.destLinkedId, e.at);
        const ch = call.addChannel(e.destUniqueId, e.destChannel, e.at);
        this.byUniqueId.set(e.destUniqueId, call);
        if (call.transition('ringing', e.at)) this.emit('updated', call);
        if (ch.kind === 'phone' && !this.rung.has(ch)) {
          this.rung.set(ch, e.callerUniqueId === null);
          this.emit('legRinging', call, ch, { at: e.at, originate: e.callerUniqueId === null });
        }
        return;
      }
      case 'dial.end': {
        const call = this.byUniqueId.get(e.destUniqueId) ?? this.byLinkedId.get(e.destLinkedId);
        if (!call) return;
        const ch = call.channels.get(e.destUniqueId);
        if (ch) ch.dialStatus = e.status;
        call.lastDialStatus = e.status;
        // Talk starts when a Dial() with a calling party is answered. Originate's own dial (no caller)
        // only rings the first party: for click-to-call that is the manager, not the client.
        if (e.status === 'ANSWER') {
          if (ch && ch.answeredAt === null) ch.answeredAt = e.at;
          if (ch && ch.kind === 'phone') this.emit('legAnswered', call, ch, { at: e.at, originate: e.callerUniqueId === null });
          if (e.callerUniqueId && call.answeredAt === null) {
            call.answeredAt = e.at;
            call.transition('talking', e.at);
            this.emit('updated', call);
          }
        }
        return;
      }
      case 'bridge.enter':
      case 'bridge.leave': {
        if (this.byUniqueId.has(e.uniqueId)) this.callFor(e.uniqueId, e.linkedId, e.at);
        return;
      }
      case 'channel.hangup': {
        const call = this.byUniqueId.get(e.uniqueId) ?? this.byLinkedId.get(e.linkedId);
        if (!call) return;
        const ch = call.channels.get(e.uniqueId) ?? call.addChannel(e.uniqueId, e.channel, e.at);
        const first = ch.hungupAt === null;
        if (first) {
          ch.hungupAt = e.at;
          ch.cause = e.causeText ? `${e.causeText} (${e.cause})` : String(e.cause);
        }
        this.byUniqueId.delete(e.uniqueId);
        if (first && ch.kind === 'phone') this.emit('legEnded', call, ch, { at: e.at, originate: this.rung.get(ch) ?? false, status: ch.dialStatus });
        if (call.liveChannelCount === 0) this.end(call, e.at);
        return;
      }
      case 'call.marked': {
        const call = this.byUniqueId.get(e.uniqueId) ?? this.byLinkedId.get(e.linkedId);
        if (!call || call.direction) return;
        call.direction = e.direction === 'click2call' ? 'outbound' : e.direction;
        call.origin = e.direction === 'click2call' ? 'click2call' : null;
        call.externalRaw = e.external || null;
        this.emit('updated', call);
        return;
      }
      case 'call.routed': {
        const call = this.byUniqueId.get(e.uniqueId) ?? this.byLinkedId.get(e.linkedId);
        if (!call || !e.routedBy) return;
        call.routedBy = e.routedBy;
        this.emit('updated', call);
        return;
      }
      case 'call.denied': {
        // The dial policy refused the number in the dialplan: nothing was dialled out (cti-dial-denied).
        const call = this.byUniqueId.get(e.uniqueId) ?? this.byLinkedId.get(e.linkedId);
        if (!call) return;
        call.deniedBy = e.reason || 'denied';
        this.emit('updated', call);
        return;
      }
      case 'recording.started': {
        const call = this.byUniqueId.get(e.uniqueId) ?? this.byLinkedId.get(e.linkedId);
        if (call && e.file) call.recordingFiles.add(e.file);
        return;
      }
      case 'transfer.attended': {
        if (!e.success) return;
        const involved = [...new Set(e.linkedIds.map((l) => this.byLinkedId.get(l)).filter((c): c is Call => !!c))];
        let into = involved[0];
        for (const other of involved.slice(1)) if (into && into !== other) into = this.merge(into, other);
        return;
      }
      case 'transfer.blind':
        return;
      case 'originate.response': {
        // An Originate into cti-click2call whose first leg (the manager's phone) failed: the dialplan
        // never ran, so this is the only word that the call was a click-to-call, and to whom.
        if (e.success || e.context !== 'cti-click2call' || !e.exten || !e.uniqueId) return;
        const call = this.byUniqueId.get(e.uniqueId) ?? this.byLinkedId.get(e.uniqueId);
        if (!call || call.direction) return;
        markClickToCall(call, e.exten);
        this.emit('updated', call);
        return;
      }
    }
  }

  private end(call: Call, at: number): void {
    call.endedAt = at;
    call.transition('ended', at);
    for (const alias of call.aliases) if (this.byLinkedId.get(alias) === call) this.byLinkedId.delete(alias);
    for (const uid of call.channels.keys()) if (this.byUniqueId.get(uid) === call) this.byUniqueId.delete(uid);
    call.log.info({ state: 'ended' }, 'call ended');
    this.emit('ended', call);
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
   * `now` is the PBX's current time in ms. Adopted calls are partial: the CDR completes their times.
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
      for (const c of chans) {
        const ch = call.addChannel(c.uniqueId, c.channel, now - c.durationSeconds * 1000);
        if (c.state === 'up') ch.answeredAt = ch.createdAt;
        this.byUniqueId.set(c.uniqueId, call);
      }
      if (k) {
        call.direction = k.direction;
        call.origin = k.origin;
        call.externalRaw = k.externalNumber;
        call.answeredAt = k.answeredAt;
        if (k.recordingFile) call.recordingFiles.add(k.recordingFile);
      } else {
        const external = chans.find((c) => c.context === 'cti-inbound');
        if (external) {
          call.direction = 'inbound';
          call.externalRaw = external.callerNumber;
        }
        if (chans.some((c) => c.bridged)) call.answeredAt = now;
      }
      if (call.answeredAt !== null) call.transition('talking', now);
      else call.transition('ringing', now);
      call.log.info({ channels: chans.length }, 'adopted a call in progress');
      this.emit('updated', call);
      adopted.push(call);
    }
    return adopted;
  }
}

/** What cti-mark does for cti-click2call (dialplan/extensions_cti.conf): outbound, the client's number. */
function markClickToCall(call: Call, number: string): void {
  call.direction = 'outbound';
  call.origin = 'click2call';
  call.externalRaw = number.replace(/^\+/, '');
}
