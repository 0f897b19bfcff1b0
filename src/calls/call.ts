// One live call: the channels Asterisk created for one conversation (grouped by linkedid, joined when
// a transfer merges two linkedids), its state machine, and the record it yields.
//
//   dialling ──► ringing ──► talking ──► ended
//      │            │                     ▲
//      └────────────┴─────────────────────┘
//
// dialling: a channel exists, nobody rings yet (dialplan, IVR, routing)
// ringing:  a Dial() is ringing a phone or the outside number
// talking:  a Dial() with a calling party was answered (AMI DialEnd DialStatus=ANSWER): talk time starts
// ended:    every channel hung up; the record is final
import type { Logger } from '../lib/logger.js';
import { normaliseExternal } from '../lib/phone.js';
import type { DialStatus } from '../pbx/events.js';
import { dispositionOf, type CallRecord, type Direction, type LegRecord } from './model.js';

export type CallState = 'dialling' | 'ringing' | 'talking' | 'ended';

const ALLOWED: Readonly<Record<CallState, readonly CallState[]>> = {
  dialling: ['ringing', 'talking', 'ended'],
  ringing: ['talking', 'ended'],
  talking: ['ended'],
  ended: [],
};

export type ChannelKind = 'phone' | 'external' | 'local';

export interface TrackedChannel {
  uniqueId: string;
  name: string;
  kind: ChannelKind;
  extension: string | null;
  createdAt: number;
  answeredAt: number | null;
  hungupAt: number | null;
  cause: string | null;
  /** Outcome of the Dial() that rang this channel, when one did. */
  dialStatus: DialStatus | null;
}

/** "PJSIP/101-0000002a" -> { tech: 'PJSIP', resource: '101' }; Local/... -> tech Local. */
export function parseChannelName(name: string): { tech: string; resource: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { tech: name, resource: '' };
  const tech = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  if (tech === 'Local') return { tech, resource: rest.replace(/;[12]$/, '') };
  const dash = rest.lastIndexOf('-');
  return { tech, resource: dash > 0 ? rest.slice(0, dash) : rest };
}

export interface CallContext {
  isExtension(resource: string): boolean;
  region: string;
  log: Logger;
}

export class Call {
  readonly aliases = new Set<string>();
  readonly channels = new Map<string, TrackedChannel>();
  readonly recordingFiles = new Set<string>();
  private _state: CallState = 'dialling';
  direction: Direction | null = null;
  origin: 'click2call' | null = null;
  externalRaw: string | null = null;
  answeredAt: number | null = null;
  endedAt: number | null = null;
  lastDialStatus: DialStatus | null = null;
  routedBy: string | null = null;
  /** The dial policy's reason when the dialplan refused the call's number (UserEvent CtiDialDenied). */
  deniedBy: string | null = null;
  /** Caller-ID match, looked up once when the call is first saved (undefined: not yet looked up). */
  match: { contactId: string; clientId: string } | null | undefined = undefined;
  /** Seen only in part (adopted after a restart or reconnect): the CDR completes it. */
  partial = false;
  private _log: Logger | null = null;

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
    return true;
  }

  addChannel(uniqueId: string, name: string, at: number): TrackedChannel {
    const existing = this.channels.get(uniqueId);
    if (existing) return existing;
    const { tech, resource } = parseChannelName(name);
    const kind: ChannelKind = tech === 'Local' ? 'local' : this.ctx.isExtension(resource) ? 'phone' : 'external';
    const ch: TrackedChannel = {
      uniqueId, name, kind,
      extension: kind === 'phone' ? resource : null,
      createdAt: at, answeredAt: null, hungupAt: null, cause: null, dialStatus: null,
    };
    this.channels.set(uniqueId, ch);
    if (at < this.startedAt) this.startedAt = at;
    return ch;
  }

  get liveChannelCount(): number {
    let n = 0;
    for (const c of this.channels.values()) if (c.hungupAt === null) n++;
    return n;
  }

  /** Take over another call's channels (transfer joined two linkedids). */
  absorb(other: Call): void {
    for (const a of other.aliases) this.aliases.add(a);
    for (const [k, c] of other.channels) if (!this.channels.has(k)) this.channels.set(k, c);
    for (const f of other.recordingFiles) this.recordingFiles.add(f);
    if (other.startedAt < this.startedAt) this.startedAt = other.startedAt;
    if (this.answeredAt === null && other.answeredAt !== null) {
      this.answeredAt = other.answeredAt;
      if (this._state === 'dialling' || this._state === 'ringing') this._state = 'talking';
    }
    this.direction ??= other.direction;
    this.origin ??= other.origin;
    this.externalRaw ??= other.externalRaw;
    this.routedBy ??= other.routedBy;
    if (!this.match) this.match = other.match;
    this.partial ||= other.partial;
  }

  /** libphonenumber parsing is the costliest step of a record: once per raw number. */
  private normalised: { raw: string | null; e164: string | null } | null = null;
  normalisedExternal(): string | null {
    if (!this.normalised || this.normalised.raw !== this.externalRaw) {
      this.normalised = { raw: this.externalRaw, e164: normaliseExternal(this.externalRaw, this.ctx.region) };
    }
    return this.normalised.e164;
  }

  private phoneLegs(): TrackedChannel[] {
    return [...this.channels.values()].filter((c) => c.kind === 'phone').sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The phone that started the call (outbound, internal, click-to-call), if one did. */
  private originatingPhone(): TrackedChannel | null {
    const first = [...this.channels.values()].sort((a, b) => a.createdAt - b.createdAt)[0];
    return first && first.kind === 'phone' ? first : null;
  }

  private resolvedDirection(): Direction {
    if (this.direction) return this.direction;
    const origin = this.originatingPhone();
    if (!origin) return 'inbound';
    return [...this.channels.values()].some((c) => c.kind === 'external') ? 'outbound' : 'internal';
  }

  /** The manager the call belongs to: who answered it last (after transfers), else who it rang last. */
  private managerLeg(direction: Direction): TrackedChannel | null {
    const origin = this.originatingPhone();
    if (direction === 'outbound' && origin) return origin;
    const candidates = this.phoneLegs().filter((c) => c !== origin);
    const answered = candidates.filter((c) => c.answeredAt !== null).sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0));
    return answered.at(-1) ?? candidates.at(-1) ?? origin;
  }

  toRecord(): CallRecord {
    const direction = this.resolvedDirection();
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
        talkMs: c.answeredAt !== null && end !== null ? Math.max(0, end - c.answeredAt) : 0,
        disposition: end === null && c.answeredAt === null ? null : c.answeredAt !== null ? 'answered' : dispositionOf(c.dialStatus),
        hangupCause: c.cause,
      };
    });
    const manager = this.managerLeg(direction);
    const origin = this.originatingPhone();
    let external: string | null;
    if (direction === 'internal') external = origin?.extension ?? this.externalRaw;
    else external = this.normalisedExternal();
    const ended = this._state === 'ended';
    // The cause of the first hangup that carried one (who ended the call, and why); Local channels last.
    const causes = [...this.channels.values()]
      .filter((c) => c.cause !== null && c.hungupAt !== null)
      .sort((a, b) => Number(a.kind === 'local') - Number(b.kind === 'local') || Number(/\(0\)$/.test(a.cause ?? '')) - Number(/\(0\)$/.test(b.cause ?? '')) || (a.hungupAt ?? 0) - (b.hungupAt ?? 0));
    return {
      linkedId: this.linkedId,
      mergedLinkedIds: [...this.aliases].filter((a) => a !== this.linkedId),
      state: ended ? 'ended' : 'live',
      source: 'ami',
      needsCdr: this.partial,
      direction,
      origin: this.origin,
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
      disposition: ended ? (this.answeredAt !== null ? 'answered' : this.deniedBy ? 'failed' : dispositionOf(this.lastDialStatus)) : null,
      hangupCause: ended ? (causes[0]?.cause ?? null) : null,
      recordingFile: [...this.recordingFiles][0] ?? null,
      legs,
    };
  }
}
