// The live board's pure logic, fed with AMI traffic recorded from the sandbox Asterisk 22
// (tests/fixtures/ami): the real call tracker for calls, the recorded DeviceStateChange events for the
// phones. The browser's side (web/src/live-state.ts) applies the board's deltas; both must agree.
// device-state-list.ami is the `cti` user's own session (least rights), recorded by hand: Login, then
// `Action: DeviceStateList` while an inbound call rang phone 198 (sandbox SCENARIOS: 198 never answers).
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CallTracker } from '../../src/calls/tracker.js';
import { LiveBoard, managerStateOf } from '../../src/live/board.js';
import { liveCallView } from '../../src/live/call-view.js';
import type { CallSnapshot } from '../../src/calls/snapshot.js';
import { todayIn } from '../../src/live/counters.js';
import type { LiveCallView, LiveCounters, ManagerState } from '../../src/live/model.js';
import { toDeviceStatus, toPbxEvent } from '../../src/pbx/ami-events.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { applyDelta } from '../../web/src/live-state.js';
import type { LiveSnapshot as BrowserBoard } from '../../web/src/types.js';
import { fixturesDir, loadScenario, parseAmiStream } from '../support/ami-fixture.js';

const isExtension = (r: string) => /^[0-9]{2,5}$/.test(r);
const counters = (calls = 0): LiveCounters => ({
  day: '2026-11-22', timeZone: 'Europe/Moscow', total: { calls, answered: 0, missed: 0, talkSeconds: 0 }, managers: [],
});
const names = () => ({ manager: null, contact: null, client: null });
/** The users with phones in the recordings (199 is the sandbox's test phone: nobody's, no card). */
const USERS = ['101', '102', '103', '198'].map((extension) => ({ extension, id: `u${extension}`, name: `user ${extension}` }));
function newBoard(): LiveBoard {
  const b = new LiveBoard(isExtension, counters());
  b.setUsers(USERS, 0);
  b.takeDelta(0);
  return b;
}

interface Replay {
  /** The board's state of each phone after each event that changed it, in order. */
  phoneStates: Map<string, ManagerState[]>;
  /** The board's calls after every event (their id, state, manager and whether they wait). */
  callFrames: LiveCallView[][];
  board: LiveBoard;
  events: PbxEvent[];
}

/** Feeds a recorded scenario to the tracker and the board as the live service does (one view per change). */
function replay(name: string): Replay {
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
  const board = newBoard();
  const phoneStates = new Map<string, ManagerState[]>();
  const callFrames: LiveCallView[][] = [];
  const dirty = new Map<string, CallSnapshot | null>();
  const mark = (c: CallSnapshot) => dirty.set(c.id, c);
  for (const ev of ['updated', 'ended', 'legRinging', 'legAnswered', 'legEnded'] as const) tracker.on(ev, mark);
  tracker.on('merged', ({ into, fromId }) => { dirty.set(fromId, null); mark(into); });
  const events: PbxEvent[] = [];
  for (const raw of loadScenario(name).events) {
    const e = toPbxEvent(raw);
    if (!e) continue;
    events.push(e);
    tracker.handle(e);
    if (e.type === 'device.state') board.setDevice(e.tech, e.resource, e.state, e.at);
    for (const [id, c] of dirty) {
      const v = c && c.state !== 'ended' ? liveCallView(c, names) : null;
      if (v) board.upsertCall(v);
      else board.removeCall(id);
    }
    dirty.clear();
    const d = board.takeDelta(e.at);
    for (const m of d?.managers ?? []) {
      const list = phoneStates.get(m.extension) ?? [];
      if (list.at(-1) !== m.state) list.push(m.state);
      phoneStates.set(m.extension, list);
    }
    if (d?.calls || d?.removedCalls) callFrames.push(board.snapshot(e.at).calls);
  }
  return { phoneStates, callFrames, board, events };
}

describe('phone states from the PBX', () => {
  it('maps every device state Asterisk names to what the floor needs', () => {
    expect(managerStateOf('idle')).toBe('available');
    expect(managerStateOf('ringing')).toBe('ringing');
    for (const s of ['in_use', 'busy', 'on_hold', 'ringing_in_use'] as const) expect(managerStateOf(s)).toBe('talking');
    for (const s of ['unavailable', 'invalid', 'unknown', null] as const) expect(managerStateOf(s)).toBe('offline');
  });

  it('reads DeviceStateChange as a phone (PJSIP/101) and its state', () => {
    expect(toPbxEvent({ event: 'DeviceStateChange', device: 'PJSIP/101', state: 'RINGINUSE', timestamp: '1795330129.5' }))
      .toEqual({ type: 'device.state', at: 1795330129500, tech: 'PJSIP', resource: '101', state: 'ringing_in_use' });
    expect(toPbxEvent({ event: 'DeviceStateChange', device: 'PJSIP/101', state: 'SOMETHING_NEW' })).toMatchObject({ state: 'unknown' });
  });

  it('inbound answered: 101 goes ringing -> talking -> available; Local devices are not phones', () => {
    const { phoneStates } = replay('inbound-answered');
    expect(phoneStates.get('101')).toEqual(['ringing', 'talking', 'available']);
    expect([...phoneStates.keys()]).toEqual(['101']);
  });

  it('internal call: both phones show their part (102 rings, then both talk, then both are free)', () => {
    const { phoneStates, events } = replay('internal');
    const devices = new Set(events.filter((e) => e.type === 'device.state').map((e) => (e as { resource: string }).resource));
    for (const ext of devices) {
      const states = phoneStates.get(ext)!;
      expect(states.at(-1)).toBe('available');
      expect(states).toContain('talking');
    }
    expect(devices.size).toBeGreaterThanOrEqual(2);
  });

  it('reads the DeviceStateList answer the `cti` user got while 198 rang (recorded): 198 ringing, the rest available', () => {
    const raw = parseAmiStream(readFileSync(`${fixturesDir}device-state-list.ami`, 'utf8'));
    expect(raw.at(-1)).toMatchObject({ event: 'DeviceStateListComplete', listitems: '5' });
    const items = raw.filter((e) => e['event'] === 'DeviceStateChange').map(toDeviceStatus);
    const board = newBoard();
    board.setAllDevices(items, 1000);
    expect(board.managers().map((m) => [m.extension, m.state])).toEqual([
      ['101', 'available'], ['102', 'available'], ['103', 'available'], ['198', 'ringing'],
    ]);
  });

  it('the full list after a reconnect replaces what was known: a phone no longer listed is offline', () => {
    const board = newBoard();
    board.setAllDevices([{ tech: 'PJSIP', resource: '101', state: 'in_use' }, { tech: 'PJSIP', resource: '102', state: 'idle' }], 1000);
    board.takeDelta(1000);
    board.setAllDevices([{ tech: 'PJSIP', resource: '101', state: 'in_use' }, { tech: 'Local', resource: '8005550101@cti-inbound', state: 'in_use' }], 2000);
    const d = board.takeDelta(2000)!;
    expect(d.managers).toEqual([expect.objectContaining({ extension: '102', state: 'offline', since: new Date(2000).toISOString() })]);
    expect(board.managers().map((m) => [m.extension, m.state])).toEqual([['101', 'talking'], ['102', 'offline'], ['103', 'offline'], ['198', 'offline']]);
  });

  it('keeps `since` when the PBX changes its word but not the floor state (INUSE -> ONHOLD)', () => {
    const board = newBoard();
    board.setDevice('PJSIP', '101', 'in_use', 1000);
    board.setDevice('PJSIP', '101', 'on_hold', 5000);
    expect(board.managers()[0]).toMatchObject({ state: 'talking', deviceState: 'on_hold', since: new Date(1000).toISOString() });
  });

  it('names phones after their users; a user whose phone the PBX never mentioned is offline; a phone nobody has (199) gets no card', () => {
    const board = new LiveBoard(isExtension, counters());
    board.setUsers([{ extension: '103', id: 'u3', name: 'vera' }], 0);
    board.setDevice('PJSIP', '199', 'idle', 10);
    expect(board.managers()).toEqual([
      expect.objectContaining({ extension: '103', name: 'vera', userId: 'u3', state: 'offline', deviceState: null }),
    ]);
    expect(board.takeDelta(20)!.managers!.map((m) => m.extension)).toEqual(['103']);
    expect(board.snapshot(20).managers.map((m) => m.extension)).not.toContain('199');
  });
});

describe('calls on the board, from the call tracker', () => {
  it('inbound answered: waits while 101 rings, then 101 talks with the caller, then it goes', () => {
    const { callFrames, events } = replay('inbound-answered');
    const first = callFrames.find((f) => f.length === 1)!;
    expect(first[0]).toMatchObject({ direction: 'inbound', waiting: true, answeredAt: null });
    const ringing = callFrames.find((f) => f[0]?.state === 'ringing' && f[0].extension === '101')!;
    expect(ringing[0]).toMatchObject({ waiting: true, externalNumber: expect.stringContaining('15551230001') });
    const talking = callFrames.find((f) => f[0]?.state === 'talking')!;
    expect(talking[0]).toMatchObject({ extension: '101', waiting: false, answeredAt: expect.any(String) });
    // Talk starts when the second party enters the bridge (Asterisk's event log).
    const bridged = events.filter((e) => e.type === 'cel' && e.name === 'BRIDGE_ENTER')[1]!;
    expect(Date.parse(talking[0]!.answeredAt!)).toBe(bridged.at);
    expect(callFrames.at(-1)).toEqual([]);
  });

  it('outbound: the manager who dialled talks with the outside number; never "waiting"', () => {
    const { callFrames } = replay('outbound');
    const views = callFrames.flat();
    expect(views.length).toBeGreaterThan(0);
    expect(views.every((v) => v.direction === 'outbound' && !v.waiting)).toBe(true);
    expect(views.find((v) => v.state === 'talking')).toMatchObject({ extension: expect.stringMatching(/^10[1-3]$/) });
    expect(callFrames.at(-1)).toEqual([]);
  });

  it('attended transfer: one call on the board at a time after the merge, and none at the end', () => {
    const { callFrames } = replay('attended-transfer');
    expect(callFrames.at(-1)).toEqual([]);
    const ids = new Set(callFrames.flat().map((c) => c.id));
    expect(ids.size).toBeGreaterThanOrEqual(1);
  });

  it('a view that did not change sends nothing', () => {
    const board = newBoard();
    const v: LiveCallView = {
      id: 'c1', direction: 'inbound', state: 'ringing', extension: '101', managerName: null, externalNumber: '+79161234567',
      contactName: null, clientName: null, startedAt: new Date(0).toISOString(), answeredAt: null, waiting: true,
    };
    board.upsertCall(v);
    expect(board.takeDelta(1)?.calls).toEqual([v]);
    board.upsertCall({ ...v });
    expect(board.takeDelta(2)).toBeNull();
  });
});

describe('deltas and the browser', () => {
  it('a snapshot plus every delta, applied in order, equals the board at the end (two-calls recording)', () => {
    const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
    const board = newBoard();
    board.setUsers([{ extension: '101', id: 'u1', name: 'anna' }], 0);
    let client: BrowserBoard = board.snapshot(0);
    const seen: LiveCallView[] = [];
    const mark = (c: CallSnapshot) => {
      const v = c.state !== 'ended' ? liveCallView(c, names) : null;
      if (v) board.upsertCall(v);
      else board.removeCall(c.id);
    };
    for (const ev of ['updated', 'ended', 'legRinging', 'legAnswered', 'legEnded'] as const) tracker.on(ev, mark);
    let n = 0;
    for (const raw of loadScenario('two-calls').events) {
      const e = toPbxEvent(raw);
      if (!e) continue;
      tracker.handle(e);
      if (e.type === 'device.state') board.setDevice(e.tech, e.resource, e.state, e.at);
      // Every few events, as the throttled service would.
      if (++n % 7 === 0) {
        const d = board.takeDelta(e.at);
        if (d) {
          seen.push(...(d.calls ?? []));
          const r = applyDelta(client, d);
          expect(r.kind).toBe('applied');
          if (r.kind === 'applied') client = r.board;
        }
      }
      if (n === 40) board.setCounters(counters(1));
    }
    const last = board.takeDelta(Date.now());
    if (last) {
      const r = applyDelta(client, last);
      if (r.kind === 'applied') client = r.board;
    }
    const truth = board.snapshot(0);
    expect(client.seq).toBe(truth.seq);
    expect(client.managers).toEqual(truth.managers);
    expect(client.calls).toEqual(truth.calls);
    expect(client.counters).toEqual(truth.counters);
    expect(client.calls).toEqual([]);
    expect(new Set(seen.map((c) => c.id)).size).toBe(2);
  });

  it('a delta already in the snapshot is stale; a missed one is a gap (fetch a new snapshot)', () => {
    const board = newBoard();
    board.setDevice('PJSIP', '101', 'idle', 1);
    const d1 = board.takeDelta(1)!;
    const snap = board.snapshot(1);
    board.setDevice('PJSIP', '101', 'ringing', 2);
    board.takeDelta(2);
    board.setDevice('PJSIP', '101', 'in_use', 3);
    const d3 = board.takeDelta(3)!;
    expect(applyDelta(snap, d1).kind).toBe('stale');
    expect(applyDelta(snap, d3).kind).toBe('gap');
  });
});

describe("today in the company's zone", () => {
  it('Moscow: the day runs from 21:00 UTC the day before', () => {
    const t = todayIn('Europe/Moscow', Date.parse('2026-11-22T20:59:59Z'));
    expect(t).toEqual({ day: '2026-11-22', from: Date.parse('2026-11-21T21:00:00Z'), to: Date.parse('2026-11-22T21:00:00Z') });
    expect(todayIn('Europe/Moscow', Date.parse('2026-11-22T21:00:00Z')).day).toBe('2026-11-23');
  });

  it('a DST change day is 23 or 25 hours long (New York)', () => {
    const spring = todayIn('America/New_York', Date.parse('2026-03-08T12:00:00Z'));
    expect(spring.to - spring.from).toBe(23 * 3_600_000);
    const autumn = todayIn('America/New_York', Date.parse('2026-11-01T12:00:00Z'));
    expect(autumn.to - autumn.from).toBe(25 * 3_600_000);
    expect(autumn.from).toBe(Date.parse('2026-11-01T04:00:00Z'));
  });
});

describe("the board's clocks agree (issue 11, item 12)", () => {
  it("recorded inbound call, answered by 101: the card's time is the call row's talk time at every second", async () => {
    const { managerClock, callClock } = await import('../../web/src/live-state.js');
    const { board } = replay('inbound-answered');
    // Replayed up to the moment 101 talks and the call is answered: the board a supervisor sees then.
    const talking = replayUntil('inbound-answered', (b, at) => {
      const snap = b.snapshot(at);
      return snap.managers.find((m) => m.extension === '101')?.state === 'talking' && snap.calls.some((c) => c.extension === '101' && c.answeredAt);
    });
    const answered = { at: talking.at };
    const snap = talking.board.snapshot(answered.at);
    const card = snap.managers.find((m) => m.extension === '101')!;
    const call = snap.calls.find((c) => c.extension === '101')!;
    expect(card.state).toBe('talking');
    expect(call.answeredAt).not.toBeNull();
    for (const later of [0, 1_000, 59_500, 192_000]) {
      const now = answered.at + later;
      const c = managerClock(card, snap.calls, now);
      expect(c).toEqual(callClock(call, now));
      expect(c.kind).toBe('talk');
    }
    // Talk time since Asterisk's answer (the call log's answeredAt), not since the board learnt the state.
    expect(managerClock(card, snap.calls, Date.parse(call.answeredAt!) + 192_000)).toEqual({ kind: 'talk', seconds: 192 });
    expect(board.callCount).toBe(0); // and at the end of the recording the call is gone
  });

  it('a ringing phone counts its own ringing, the waiting row the caller\'s wait since the call came in; free phones their state', async () => {
    const { managerClock, callClock } = await import('../../web/src/live-state.js');
    const t0 = Date.parse('2026-11-22T10:00:00Z');
    const call = { extension: '198', startedAt: new Date(t0).toISOString(), answeredAt: null, waiting: true };
    // The call came in at t0, routing rang 198 from t0 + 4 s.
    const ringing = { extension: '198', state: 'ringing' as const, since: new Date(t0 + 4000).toISOString() };
    expect(managerClock(ringing, [call], t0 + 10_000)).toEqual({ kind: 'ringing', seconds: 6 });
    expect(callClock(call, t0 + 10_000)).toEqual({ kind: 'waiting', seconds: 10 });
    const free = { extension: '101', state: 'available' as const, since: new Date(t0 - 65_000).toISOString() };
    expect(managerClock(free, [call], t0)).toEqual({ kind: 'state', seconds: 65 });
    // Talking, but the board shows no call on this phone (the other end of an internal call): the state's time.
    expect(managerClock({ ...free, state: 'talking' }, [call], t0)).toEqual({ kind: 'state', seconds: 65 });
    // An outbound call not answered yet: dialling since it started, on the card and the row alike.
    const out = { extension: '101', startedAt: new Date(t0).toISOString(), answeredAt: null, waiting: false };
    expect(managerClock({ ...free, state: 'talking' }, [out], t0 + 7000)).toEqual({ kind: 'dialling', seconds: 7 });
    expect(callClock(out, t0 + 7000)).toEqual({ kind: 'dialling', seconds: 7 });
    // A clock a little behind the service's never shows a negative time.
    expect(callClock(out, t0 - 900).seconds).toBe(0);
  });
});

/** The board after the recorded scenario's events up to the first at which `stop` holds, and that event's time. */
function replayUntil(name: string, stop: (board: LiveBoard, at: number) => boolean): { board: LiveBoard; at: number } {
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
  const board = newBoard();
  const dirty = new Map<string, CallSnapshot | null>();
  const mark = (c: CallSnapshot) => dirty.set(c.id, c);
  for (const ev of ['updated', 'ended', 'legRinging', 'legAnswered', 'legEnded'] as const) tracker.on(ev, mark);
  tracker.on('merged', ({ into, fromId }) => { dirty.set(fromId, null); mark(into); });
  for (const raw of loadScenario(name).events) {
    const e = toPbxEvent(raw);
    if (!e) continue;
    tracker.handle(e);
    if (e.type === 'device.state') board.setDevice(e.tech, e.resource, e.state, e.at);
    for (const [id, c] of dirty) {
      const v = c && c.state !== 'ended' ? liveCallView(c, names) : null;
      if (v) board.upsertCall(v);
      else board.removeCall(id);
    }
    dirty.clear();
    if (stop(board, e.at)) return { board, at: e.at };
  }
  throw new Error(`${name}: the moment looked for never came`);
}
