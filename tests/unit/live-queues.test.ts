// The live board's queue panel: app_queue's AMI events (as asterisk-manager hands them over: lower-case
// headers, strings) through the PBX boundary's parser into typed events, and the members' states a
// supervisor reads: free, paused with its reason, ringing, in a call, wrap-up, offline.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir, parseAmiStream } from '../support/ami-fixture.js';
import { toPbxEvent, toQueueStatus, type RawAmiEvent } from '../../src/pbx/ami-events.js';
import { LiveBoard } from '../../src/live/board.js';
import type { QueueEvent } from '../../src/live/queues.js';

const T0 = 1_795_000_000_000;
const ts = (ms: number) => (ms / 1000).toFixed(6);

function member(event: string, ext: string, at: number, over: RawAmiEvent = {}): RawAmiEvent {
  return {
    event, timestamp: ts(at), queue: 'sales', membername: `PJSIP/${ext}`, interface: `PJSIP/${ext}`, stateinterface: `PJSIP/${ext}`,
    membership: 'static', penalty: '0', callstaken: '0', lastcall: '0', lastpause: '0', logintime: String(Math.floor(T0 / 1000)),
    incall: '0', status: '1', paused: '0', pausedreason: '', ringinuse: '1', wrapuptime: '0', ...over,
  };
}

const counters = { day: '2026-11-20', timeZone: 'Europe/Moscow', total: { calls: 0, answered: 0, missed: 0, talkSeconds: 0 }, managers: [] };

function board() {
  const b = new LiveBoard((r) => /^\d{3}$/.test(r), counters);
  b.setUsers([{ extension: '101', id: 'u1', name: 'Анна Петрова' }, { extension: '102', id: 'u2', name: 'Борис' }], T0);
  return b;
}
const feed = (b: LiveBoard, raw: RawAmiEvent) => {
  const e = toPbxEvent(raw);
  expect(e, String(raw['event'])).not.toBeNull();
  b.queues.apply(e as QueueEvent);
};
const state = (b: LiveBoard, ext: string) => b.snapshot(T0).queues[0]!.members.find((m) => m.extension === ext)!;

describe('queue events at the PBX boundary', () => {
  it('reads a member, a pause with its reason, and the queue\'s calls to members', () => {
    expect(toPbxEvent(member('QueueMemberPause', '101', T0, { paused: '1', pausedreason: 'обед', status: '1' }))).toMatchObject({
      type: 'queue.member', change: 'pause', at: T0, queue: 'sales', interface: 'PJSIP/101', device: { tech: 'PJSIP', resource: '101' },
      paused: true, pausedReason: 'обед', status: 'idle', inCall: false, wrapupSeconds: 0,
    });
    expect(toPbxEvent(member('QueueMemberStatus', '102', T0, { status: '5' }))).toMatchObject({ status: 'unavailable', change: 'status' });
    expect(toPbxEvent({ event: 'QueueMemberRemoved', queue: 'sales', interface: 'PJSIP/102', timestamp: ts(T0) })).toEqual({
      type: 'queue.member.removed', at: T0, queue: 'sales', interface: 'PJSIP/102',
    });
    expect(toPbxEvent({ event: 'AgentCalled', queue: 'sales', interface: 'PJSIP/101', membername: 'PJSIP/101', uniqueid: 'c.1', linkedid: 'c.1', destuniqueid: 'a.1', timestamp: ts(T0) }))
      .toEqual({ type: 'queue.agent', phase: 'called', at: T0, queue: 'sales', interface: 'PJSIP/101', memberName: 'PJSIP/101', callerUniqueId: 'c.1', linkedId: 'c.1' });
    expect(toPbxEvent({ event: 'QueueCallerJoin', queue: 'sales', count: '2', position: '2', uniqueid: 'c.2', timestamp: ts(T0) }))
      .toMatchObject({ type: 'queue.caller', phase: 'joined', count: 2, uniqueId: 'c.2' });
  });

  it('reads the QueueStatus list: queues, callers waiting and members (Location and Name there)', () => {
    const list = toQueueStatus([
      { event: 'QueueParams', queue: 'night', calls: '0', strategy: 'ringall' },
      { event: 'QueueParams', queue: 'sales', calls: '1', strategy: 'ringall' },
      { event: 'QueueMember', queue: 'sales', name: 'PJSIP/101', location: 'PJSIP/101', stateinterface: 'PJSIP/101', status: '2', paused: '0', pausedreason: '', incall: '1', callstaken: '3', lastcall: '0', wrapuptime: '0' },
      { event: 'QueueEntry', queue: 'sales', position: '1', uniqueid: 'c.9' },
    ]);
    expect(list.map((q) => [q.queue, q.waiting, q.members.length])).toEqual([['night', 0, 0], ['sales', 1, 1]]);
    expect(list[1]!.members[0]).toMatchObject({ interface: 'PJSIP/101', memberName: 'PJSIP/101', status: 'in_use', inCall: true, callsTaken: 3 });
  });

  it("reads FreePBX's members: a Local channel through from-queue whose state follows the extension's hint", () => {
    const [q] = toQueueStatus([
      { event: 'QueueParams', queue: '400', calls: '0', strategy: 'ringall' },
      { event: 'QueueMember', queue: '400', name: 'Manager 101', location: 'Local/101@from-queue/n', stateinterface: 'hint:101@ext-local', status: '1', paused: '0', pausedreason: '', incall: '0', callstaken: '0', lastcall: '0', wrapuptime: '0' },
    ]);
    expect(q!.members[0]).toMatchObject({ interface: 'Local/101@from-queue/n', device: { tech: 'hint', resource: '101' }, memberName: 'Manager 101', status: 'idle' });
    expect(toPbxEvent(member('QueueMemberAdded', '102', T0, { interface: 'Local/102@from-queue/n', stateinterface: 'hint:102@ext-local' })))
      .toMatchObject({ device: { resource: '102' } });
  });
});

describe('queue members on the live board', () => {
  it('a paused member says why; unpaused it is free again', () => {
    const b = board();
    b.queues.setAll(toQueueStatus([{ event: 'QueueParams', queue: 'sales', calls: '0' },
      { ...member('QueueMember', '101', T0), location: 'PJSIP/101', name: 'PJSIP/101' }]), T0);
    expect(state(b, '101')).toMatchObject({ name: 'Анна Петрова', state: 'available', paused: false });
    feed(b, member('QueueMemberPause', '101', T0 + 1000, { paused: '1', pausedreason: 'обед' }));
    expect(state(b, '101')).toMatchObject({ state: 'paused', paused: true, pausedReason: 'обед', since: new Date(T0 + 1000).toISOString() });
    const d = b.takeDelta(T0 + 1000)!;
    expect(d.queues![0]!.members[0]).toMatchObject({ state: 'paused', pausedReason: 'обед' });
    expect(b.takeDelta(T0 + 1000)).toBeNull();
    feed(b, member('QueueMemberPause', '101', T0 + 2000, { paused: '0', pausedreason: '' }));
    expect(state(b, '101')).toMatchObject({ state: 'available', paused: false, pausedReason: null });
  });

  it('a queue call: ringing, in a call, then wrap-up for the member\'s wrapuptime, then free', () => {
    const b = board();
    feed(b, member('QueueMemberAdded', '101', T0, { wrapuptime: '30', membership: 'dynamic' }));
    feed(b, member('QueueMemberAdded', '102', T0, { wrapuptime: '30', membership: 'dynamic' }));
    feed(b, { event: 'QueueCallerJoin', queue: 'sales', count: '1', uniqueid: 'c.1', timestamp: ts(T0 + 100) });
    expect(b.snapshot(T0).queues[0]!.waiting).toBe(1);
    for (const ext of ['101', '102']) feed(b, { event: 'AgentCalled', queue: 'sales', interface: `PJSIP/${ext}`, membername: `PJSIP/${ext}`, uniqueid: 'c.1', linkedid: 'c.1', timestamp: ts(T0 + 200) });
    expect([state(b, '101').state, state(b, '102').state]).toEqual(['ringing', 'ringing']);
    feed(b, { event: 'AgentConnect', queue: 'sales', interface: 'PJSIP/101', membername: 'PJSIP/101', uniqueid: 'c.1', linkedid: 'c.1', timestamp: ts(T0 + 5000) });
    // ringall: the caller leaves the queue, the other member stops ringing with no event of its own.
    feed(b, { event: 'QueueCallerLeave', queue: 'sales', count: '0', uniqueid: 'c.1', timestamp: ts(T0 + 5000) });
    expect([state(b, '101').state, state(b, '102').state]).toEqual(['talking', 'available']);
    expect(b.snapshot(T0).queues[0]!.waiting).toBe(0);
    feed(b, { event: 'AgentComplete', queue: 'sales', interface: 'PJSIP/101', membername: 'PJSIP/101', uniqueid: 'c.1', linkedid: 'c.1', talktime: '60', timestamp: ts(T0 + 65_000) });
    expect(state(b, '101')).toMatchObject({ state: 'wrapup', wrapupUntil: new Date(T0 + 95_000).toISOString() });
    expect(b.queues.nextChangeAt()).toBe(T0 + 95_000);
    b.queues.expire(T0 + 95_000);
    expect(state(b, '101')).toMatchObject({ state: 'available', wrapupUntil: null, since: new Date(T0 + 95_000).toISOString() });
    expect(b.queues.nextChangeAt()).toBeNull();
  });

  it('a caller who gives up while members ring leaves them free; an unregistered phone is offline; a removed member goes', () => {
    const b = board();
    feed(b, member('QueueMemberAdded', '101', T0));
    feed(b, member('QueueMemberAdded', '102', T0, { status: '5' }));
    feed(b, { event: 'AgentCalled', queue: 'sales', interface: 'PJSIP/101', membername: 'PJSIP/101', uniqueid: 'c.7', linkedid: 'c.7', timestamp: ts(T0 + 1) });
    expect(state(b, '101').state).toBe('ringing');
    expect(state(b, '102').state).toBe('offline');
    feed(b, { event: 'QueueCallerLeave', queue: 'sales', count: '0', uniqueid: 'c.7', timestamp: ts(T0 + 9000) });
    expect(state(b, '101').state).toBe('available');
    feed(b, { event: 'QueueMemberRemoved', queue: 'sales', interface: 'PJSIP/102', timestamp: ts(T0 + 9500) });
    expect(b.snapshot(T0).queues[0]!.members.map((m) => m.extension)).toEqual(['101']);
  });
});

describe('a pause recorded from the sandbox Asterisk (tests/fixtures/ami/queue-pause.ami, as the cti user)', () => {
  it('shows 101 paused with the reason given, then free again', () => {
    const raw = parseAmiStream(readFileSync(join(fixturesDir, 'queue-pause.ami'), 'utf8'));
    const b = board();
    b.queues.setAll([{ queue: 'sales', waiting: 0, members: [] }], T0);
    const seen: string[] = [];
    for (const r of raw) {
      const e = toPbxEvent(r);
      if (!e) continue;
      if (e.type === 'device.state') b.setDevice(e.tech, e.resource, e.state, e.at); // Queue:sales_pause_... is no phone
      else if (e.type.startsWith('queue.')) b.queues.apply(e as QueueEvent);
      const m = b.snapshot(T0).queues[0]!.members.find((x) => x.extension === '101');
      if (m) seen.push(m.state === 'paused' ? `paused: ${m.pausedReason}` : m.state);
    }
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(['paused: обед 834', 'available']);
    // app_queue's pause device (Queue:sales_pause_PJSIP/101 INUSE) is not 101's phone: anna is not "talking".
    expect(b.managers().map((m) => [m.extension, m.state])).toEqual([['101', 'offline'], ['102', 'offline']]);
    expect(toPbxEvent(raw.find((r) => r['event'] === 'DeviceStateChange')!)).toMatchObject({ tech: 'Queue', resource: 'sales_pause_PJSIP/101' });
  });
});
