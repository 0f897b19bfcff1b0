// A call's snapshot (src/calls/snapshot.ts): one frozen object per change, shared by every listener of
// the tracker's event, and after a transfer joined two calls, one call with both calls' linkedids and
// the phones that rang for either.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../src/calls/snapshot.js';
import { CallTracker } from '../../src/calls/tracker.js';
import { toPbxEvent } from '../../src/pbx/ami-events.js';
import { loadScenario } from '../support/ami-fixture.js';

const EVENTS = ['updated', 'ended', 'legRinging', 'legAnswered', 'legEnded'] as const;

function feed(name: string, tracker: CallTracker): void {
  for (const raw of loadScenario(name).events) {
    const e = toPbxEvent(raw);
    if (e) tracker.handle(e);
  }
}

function newTracker(): CallTracker {
  return new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
}

describe('call snapshots', () => {
  it('are frozen down to the legs, so no listener can change what another one sees', () => {
    const tracker = newTracker();
    let last: CallSnapshot | null = null;
    tracker.on('ended', (s) => { last = s; });
    feed('inbound-answered', tracker);
    const s = last as CallSnapshot | null;
    expect(s?.state).toBe('ended');
    expect(s!.record.legs.length).toBeGreaterThan(0);
    for (const o of [s, s!.record, s!.record.legs, s!.record.legs[0], s!.record.mergedLinkedIds, s!.linkedIds, s!.rungExtensions]) {
      expect(Object.isFrozen(o)).toBe(true);
    }
    expect(() => { (s!.record as { disposition: string }).disposition = 'busy'; }).toThrow(TypeError);
    expect(() => { (s!.record.legs as unknown[]).pop(); }).toThrow(TypeError);
    expect(s!.record.disposition).toBe('answered');
  });

  it('is one object for every listener of one change (the call log, the pops, the live board, click-to-call)', () => {
    const tracker = newTracker();
    const first: CallSnapshot[] = [];
    const second: CallSnapshot[] = [];
    // Two consumers, as the call log and the hub are: each registers its own listeners.
    for (const ev of EVENTS) tracker.on(ev, (s: CallSnapshot) => { first.push(s); });
    for (const ev of EVENTS) tracker.on(ev, (s: CallSnapshot) => { second.push(s); });
    feed('inbound-answered', tracker);
    expect(first.length).toBeGreaterThan(3);
    expect(second).toHaveLength(first.length);
    first.forEach((s, i) => expect(second[i]).toBe(s));
    // A new change gives a new snapshot: ringing, answered and ended are not one object.
    expect(new Set(first).size).toBeGreaterThan(2);
    expect(first.at(-1)!.state).toBe('ended');
    expect(first.some((s) => s.state === 'ringing')).toBe(true);
  });

  it('stays the same object until the call changes', () => {
    const tracker = newTracker();
    const events = loadScenario('inbound-answered').events.map((r) => toPbxEvent(r)).filter((e) => e !== null);
    let rang: CallSnapshot | null = null;
    tracker.on('legRinging', (s) => { rang ??= s; });
    // Up to the first phone ringing; asked twice with nothing in between, the call gives one object.
    let k = 0;
    while (!rang) tracker.handle(events[k++]!);
    const call = tracker.liveCalls()[0]!;
    const a = call.snapshot();
    expect(call.snapshot()).toBe(a);
    expect(a.state).toBe('ringing');
    // The phone answers: a new snapshot; the old one still says what it said.
    while (!(events[k - 1]!.type === 'cel' && (events[k - 1] as { name: string }).name === 'BRIDGE_ENTER' && call.state === 'talking')) tracker.handle(events[k++]!);
    const b = call.snapshot();
    expect(b).not.toBe(a);
    expect(b.state).toBe('talking');
    expect(b.record.answeredAt).not.toBeNull();
    expect(a.state).toBe('ringing');
    expect(a.record.answeredAt).toBeNull();
    expect(call.snapshot()).toBe(b);
  });

  it('after a transfer joins two calls, carries both linkedids and every phone that rang, as the pops and the end of call need', () => {
    const tracker = newTracker();
    const latest = new Map<string, CallSnapshot>();
    for (const ev of ['updated', 'legRinging', 'legAnswered', 'legEnded'] as const) tracker.on(ev, (s: CallSnapshot) => { latest.set(s.id, s); });
    const merges: { into: CallSnapshot; from: CallSnapshot }[] = [];
    tracker.on('merged', ({ into, fromId }) => {
      merges.push({ into, from: latest.get(fromId)! });
      latest.set(into.id, into);
    });
    let ended: CallSnapshot | null = null;
    tracker.on('ended', (s) => { ended = s; });
    // A colleague dialled into the room (an Originate of their own linkedid) joins the manager's call.
    feed('confbridge-three-way', tracker);
    expect(merges.length).toBeGreaterThan(0);
    const { into, from } = merges[0]!;
    expect(from).toBeDefined();
    expect(into.id).not.toBe(from.id);
    for (const l of from.linkedIds) expect(into.linkedIds).toContain(l);
    expect(into.linkedIds[0]).toBe(into.linkedId);
    expect(into.record.mergedLinkedIds).toEqual(into.linkedIds.slice(1));
    for (const x of from.rungExtensions) expect(into.rungExtensions).toContain(x);
    expect(into.linkedIds).toHaveLength(2);
    expect(into.rungExtensions).toEqual(['101', '102']);
    // The end of the call (call:ended goes to each user on these phones) still has them all.
    const end = ended as CallSnapshot | null;
    expect(end?.id).toBe(into.id);
    expect(end!.linkedIds).toEqual(into.linkedIds);
    expect(end!.rungExtensions).toEqual(['101', '102']);
    expect(end!.record.mergedLinkedIds).toEqual([into.linkedIds[1]]);
  });
});
