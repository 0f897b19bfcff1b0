// The live board's state, as plain data and pure logic (no I/O, no timers): managers with their
// phones' states, calls in progress, today's counters, and what changed since the last delta. The
// service (live.ts) feeds it from the PBX's device states and the call tracker, and sends its deltas.
import type { DeviceState } from '../pbx/events.js';
import type { LiveCallView, LiveCounters, LiveDelta, LiveSnapshot, ManagerState, ManagerView, PbxLink, QueueView } from './model.js';
import { QueueFloor } from './queues.js';

/** A user with a phone, as the board names managers. */
export interface PhoneUser {
  extension: string;
  id: string;
  name: string;
}

/**
 * The PBX's device state -> what a supervisor needs to know. A phone with a call up and another
 * ringing (RINGINUSE) is talking: it cannot take the ringing one without putting the first on hold.
 * ONHOLD is a call too. UNAVAILABLE (not registered), INVALID and UNKNOWN cannot take calls.
 */
export function managerStateOf(d: DeviceState | null): ManagerState {
  switch (d) {
    case 'idle': return 'available';
    case 'ringing': return 'ringing';
    case 'in_use':
    case 'busy':
    case 'on_hold':
    case 'ringing_in_use': return 'talking';
    default: return 'offline';
  }
}

interface Phone {
  device: DeviceState | null;
  state: ManagerState;
  since: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const callKey = (c: LiveCallView) =>
  `${c.state}|${c.direction}|${c.extension}|${c.managerName}|${c.externalNumber}|${c.contactName}|${c.clientName}|${c.startedAt}|${c.answeredAt}`;

export class LiveBoard {
  private readonly phones = new Map<string, Phone>();
  private users = new Map<string, PhoneUser>();
  private readonly calls = new Map<string, { view: LiveCallView; key: string }>();
  private counters: LiveCounters;
  private link: PbxLink = 'disconnected';
  private _seq = 0;
  // Changes since the last delta.
  private readonly changedPhones = new Set<string>();
  private readonly lostUser = new Set<string>();
  private readonly changedCalls = new Set<string>();
  private readonly removedCalls = new Set<string>();
  private countersChanged = false;
  private linkChanged = false;
  /** The queue panel: queues and their members (src/live/queues.ts). */
  readonly queues = new QueueFloor();

  /** `pbxId`: the PBX whose phones and calls these are (a board per PBX). */
  constructor(private readonly isExtension: (resource: string) => boolean, counters: LiveCounters, readonly pbxId = 'main') {
    this.counters = counters;
  }

  get seq(): number {
    return this._seq;
  }

  get callCount(): number {
    return this.calls.size;
  }

  /** The users with a phone. A phone that gains or loses its user changes on the board. */
  setUsers(list: readonly PhoneUser[], now: number): void {
    const next = new Map(list.map((u) => [u.extension, u]));
    for (const ext of new Set([...this.users.keys(), ...next.keys()])) {
      const a = this.users.get(ext);
      const b = next.get(ext);
      if (a?.id !== b?.id || a?.name !== b?.name) {
        if (!this.phones.has(ext)) this.phones.set(ext, { device: null, state: 'offline', since: now });
        this.changedPhones.add(ext);
        if (!b) this.lostUser.add(ext);
        this.queues.markChanged(); // members are named by their phone's user
      }
    }
    this.users = next;
  }

  /** One phone's device state changed (AMI DeviceStateChange). Devices that are not phones are ignored. */
  setDevice(tech: string, resource: string, device: DeviceState, at: number): void {
    if (tech === 'Local' || !this.isExtension(resource)) return;
    const state = managerStateOf(device);
    const p = this.phones.get(resource);
    if (p && p.device === device) return;
    if (p && p.state === state) {
      // Same state for the floor (INUSE -> ONHOLD): keep `since`, but say what the PBX says.
      p.device = device;
      this.changedPhones.add(resource);
      return;
    }
    this.phones.set(resource, { device, state, since: at });
    this.changedPhones.add(resource);
  }

  /** Every device's state after a (re)connect (AMI DeviceStateList): phones it no longer lists are offline. */
  setAllDevices(list: readonly { tech: string; resource: string; state: DeviceState }[], at: number): void {
    const seen = new Set<string>();
    for (const d of list) {
      if (d.tech === 'Local' || !this.isExtension(d.resource)) continue;
      seen.add(d.resource);
      this.setDevice(d.tech, d.resource, d.state, at);
    }
    for (const [ext, p] of this.phones) {
      if (seen.has(ext) || p.device === null) continue;
      this.phones.set(ext, { device: null, state: 'offline', since: at });
      this.changedPhones.add(ext);
    }
  }

  setPbxLink(link: PbxLink): void {
    if (link === this.link) return;
    this.link = link;
    this.linkChanged = true;
  }

  /** A call appeared or changed; nothing is sent when nothing the board shows changed. */
  upsertCall(view: LiveCallView): void {
    const key = callKey(view);
    const had = this.calls.get(view.id);
    if (had && had.key === key) return;
    this.calls.set(view.id, { view, key });
    this.removedCalls.delete(view.id);
    this.changedCalls.add(view.id);
  }

  removeCall(id: string): void {
    if (!this.calls.delete(id)) return;
    this.changedCalls.delete(id);
    this.removedCalls.add(id);
  }

  setCounters(c: LiveCounters): void {
    if (JSON.stringify(c) === JSON.stringify(this.counters)) return;
    this.counters = c;
    this.countersChanged = true;
  }

  private managerView(ext: string): ManagerView {
    const p = this.phones.get(ext);
    const u = this.users.get(ext);
    return {
      extension: ext, userId: u?.id ?? null, name: u?.name ?? null,
      state: p?.state ?? 'offline', since: iso(p?.since ?? 0), deviceState: p?.device ?? null,
    };
  }

  /** Only users' phones are managers (issue 11, item 12): a test phone or a phone nobody has gets no card. */
  managers(): ManagerView[] {
    return [...this.users.keys()].sort(byExtension).map((e) => this.managerView(e));
  }

  snapshot(now: number): LiveSnapshot {
    return {
      seq: this._seq,
      pbxId: this.pbxId,
      serverTime: iso(now),
      pbx: this.link,
      managers: this.managers(),
      calls: [...this.calls.values()].map((c) => c.view).sort((a, b) => a.startedAt.localeCompare(b.startedAt)),
      counters: this.counters,
      queues: this.queueViews(),
    };
  }

  queueViews(): QueueView[] {
    return this.queues.views(
      // PJSIP/101, or Local/101@context for a member reached through the dialplan.
      (_tech, resource) => (this.isExtension(resource) ? resource : null),
      (ext) => this.users.get(ext)?.name ?? null,
    );
  }

  get hasChanges(): boolean {
    return [...this.changedPhones].some((e) => this.users.has(e) || this.lostUser.has(e)) || this.changedCalls.size > 0 || this.removedCalls.size > 0 || this.countersChanged || this.linkChanged || this.queues.changed;
  }

  /** Everything that changed since the last delta (null: nothing), and the next seq. */
  takeDelta(now: number): LiveDelta | null {
    if (!this.hasChanges) return null;
    const d: LiveDelta = { pbxId: this.pbxId, seq: ++this._seq, serverTime: iso(now) };
    if (this.linkChanged) d.pbx = this.link;
    // A phone nobody has is sent only when it lost its user (userId null: the page drops its card).
    const phones = [...this.changedPhones].filter((e) => this.users.has(e) || this.lostUser.has(e));
    if (phones.length) d.managers = phones.sort(byExtension).map((e) => this.managerView(e));
    this.lostUser.clear();
    if (this.changedCalls.size) d.calls = [...this.changedCalls].map((id) => this.calls.get(id)!.view);
    if (this.removedCalls.size) d.removedCalls = [...this.removedCalls];
    if (this.countersChanged) d.counters = this.counters;
    if (this.queues.takeChanged()) d.queues = this.queueViews();
    this.changedPhones.clear();
    this.changedCalls.clear();
    this.removedCalls.clear();
    this.countersChanged = false;
    this.linkChanged = false;
    return d;
  }
}

function byExtension(a: string, b: string): number {
  return a.length - b.length || a.localeCompare(b);
}
