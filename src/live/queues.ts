// The live board's queue panel as plain data and pure logic: each app_queue queue, how many callers wait
// in it, and its members with the state a supervisor reads (free, paused and why, ringing, in a call,
// wrap-up, offline). Fed by the PBX boundary's typed queue events (src/pbx/events.ts) and started from
// the QueueStatus list after every (re)connect; no I/O, no timers (the service asks when a wrap-up ends).
//
// A member's state, first match wins:
//   ringing   the queue is ringing it (AgentCalled, until AgentConnect/AgentRingNoAnswer), or its device rings
//   talking   a queue call is up (AgentConnect, InCall) or its device is in use, busy or on hold (any call)
//   offline   its device is unavailable or invalid (not registered)
//   wrapup    app_queue's own wrap-up: for the member's wrapuptime after its last queue call ended
//             (AgentComplete, or LastCall in QueueStatus), the queue offers it no call. Only the member's
//             own wrapuptime is in AMI (QueueMember/QueueMemberStatus Wrapuptime); a queue-wide
//             wrapuptime from queues.conf is not reported, so a member without its own shows no wrap-up.
//   paused    paused (QueuePause), with the reason it was given
//   available logged in (a member of the queue) and free
import type { QueueAgentEvent, QueueCallerEvent, QueueMember, QueueMemberChanged, QueueMemberRemoved, QueueStatusEntry } from '../pbx/events.js';
import type { AgentState, QueueMemberView, QueueView } from './model.js';

export type QueueEvent = QueueMemberChanged | QueueMemberRemoved | QueueAgentEvent | QueueCallerEvent;

interface Member {
  m: QueueMember;
  /** The caller the queue rings this member for now (AgentCalled seen, no answer or give-up yet); null: none. */
  called: string | null;
  /** A queue call is up on it (AgentConnect seen, no AgentComplete yet). */
  connected: boolean;
  wrapupUntil: number | null;
  state: AgentState;
  since: number;
}

interface Queue {
  waiting: number;
  members: Map<string, Member>;
}

export function agentStateOf(x: { called: unknown; connected: boolean; wrapupUntil: number | null } & { m: Pick<QueueMember, 'status' | 'inCall' | 'paused'> }, now: number): AgentState {
  const s = x.m.status;
  if (x.called !== null || s === 'ringing') return 'ringing';
  if (x.connected || x.m.inCall || s === 'in_use' || s === 'busy' || s === 'on_hold' || s === 'ringing_in_use') return 'talking';
  if (s === 'unavailable' || s === 'invalid') return 'offline';
  if (x.wrapupUntil !== null && now < x.wrapupUntil) return 'wrapup';
  if (x.m.paused) return 'paused';
  return 'available';
}

export class QueueFloor {
  private queues = new Map<string, Queue>();
  /** Something the panel shows changed since the last takeChanged(). */
  private dirty = false;

  get changed(): boolean {
    return this.dirty;
  }

  takeChanged(): boolean {
    const d = this.dirty;
    this.dirty = false;
    return d;
  }

  markChanged(): void {
    this.dirty = true;
  }

  /** The whole picture after a (re)connect (AMI QueueStatus): queues and members it does not list are gone. */
  setAll(list: readonly QueueStatusEntry[], now: number): void {
    const next = new Map<string, Queue>();
    for (const q of list) {
      const had = this.queues.get(q.queue);
      const members = new Map<string, Member>();
      for (const m of q.members) {
        const old = had?.members.get(m.interface);
        const ended = m.lastCallAt !== null && m.wrapupSeconds > 0 && !m.inCall ? m.lastCallAt + m.wrapupSeconds * 1000 : null;
        const x: Member = { m, called: null, connected: m.inCall, wrapupUntil: ended, state: 'available', since: now };
        x.state = agentStateOf(x, now);
        if (old && old.state === x.state) x.since = old.since;
        members.set(m.interface, x);
      }
      next.set(q.queue, { waiting: q.waiting, members });
    }
    this.queues = next;
    this.dirty = true;
  }

  apply(e: QueueEvent): void {
    const q = this.queueOf(e.queue);
    if (e.type === 'queue.caller') {
      if (q.waiting !== e.count) this.dirty = true;
      q.waiting = Math.max(0, e.count);
      // The caller left the queue: answered by one member (ringall hangs up the others with no event of
      // their own) or gave up while members rang. No member rings for it any more.
      if (e.phase === 'left') {
        for (const x of q.members.values()) {
          if (x.called !== e.uniqueId) continue;
          x.called = null;
          this.refresh(x, e.at, false);
        }
      }
      return;
    }
    if (e.type === 'queue.member.removed') {
      if (q.members.delete(e.interface)) this.dirty = true;
      return;
    }
    if (e.type === 'queue.member') {
      const had = q.members.get(e.interface);
      const { type: _t, change: _c, at: _a, ...m } = e;
      if (had) had.m = m;
      else q.members.set(e.interface, { m, called: null, connected: m.inCall, wrapupUntil: null, state: 'available', since: e.at });
      this.refresh(q.members.get(e.interface)!, e.at, !had);
      return;
    }
    const x = q.members.get(e.interface);
    if (!x) return; // a member QueueStatus did not list and no QueueMemberAdded announced: nothing to show
    switch (e.phase) {
      case 'called': x.called = e.callerUniqueId; break;
      case 'ring_no_answer': x.called = null; break;
      case 'connected': x.called = null; x.connected = true; x.wrapupUntil = null; break;
      case 'completed':
        x.called = null;
        x.connected = false;
        x.m = { ...x.m, inCall: false };
        x.wrapupUntil = x.m.wrapupSeconds > 0 ? e.at + x.m.wrapupSeconds * 1000 : null;
        break;
    }
    this.refresh(x, e.at, false);
  }

  private queueOf(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      this.queues.set(name, (q = { waiting: 0, members: new Map() }));
      this.dirty = true;
    }
    return q;
  }

  private refresh(x: Member, at: number, added: boolean): void {
    const state = agentStateOf(x, at);
    if (state !== x.state || added) {
      x.state = state;
      x.since = at;
    }
    this.dirty = true;
  }

  /** Wrap-ups that ended by `now` become free (or paused): the service calls this at nextChangeAt(). */
  expire(now: number): void {
    for (const q of this.queues.values()) {
      for (const x of q.members.values()) {
        if (x.wrapupUntil !== null && now >= x.wrapupUntil) {
          x.wrapupUntil = null;
          this.refresh(x, now, false);
        }
      }
    }
  }

  /** When the next wrap-up ends (ms), or null. */
  nextChangeAt(): number | null {
    let next: number | null = null;
    for (const q of this.queues.values()) for (const x of q.members.values()) {
      if (x.wrapupUntil !== null && (next === null || x.wrapupUntil < next)) next = x.wrapupUntil;
    }
    return next;
  }

  /**
   * The panel. `extensionOf` says whether a member's device is one of our phones (its extension), and
   * `nameOf` who has that phone: a member is named by its user, else by app_queue's MemberName.
   */
  views(extensionOf: (tech: string, resource: string) => string | null, nameOf: (extension: string) => string | null): QueueView[] {
    return [...this.queues.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([queue, q]) => ({
      queue,
      waiting: q.waiting,
      members: [...q.members.values()].map((x): QueueMemberView => {
        const extension = extensionOf(x.m.device.tech, x.m.device.resource);
        return {
          interface: x.m.interface,
          extension,
          name: (extension ? nameOf(extension) : null) ?? (x.m.memberName || x.m.interface),
          state: x.state,
          paused: x.m.paused,
          pausedReason: x.m.paused ? x.m.pausedReason : null,
          since: new Date(x.since).toISOString(),
          callsTaken: x.m.callsTaken,
          wrapupUntil: x.state === 'wrapup' && x.wrapupUntil !== null ? new Date(x.wrapupUntil).toISOString() : null,
        };
      }).sort((a, b) => (a.extension ?? '\uffff').localeCompare(b.extension ?? '\uffff') || a.name.localeCompare(b.name)),
    }));
  }
}
