// Click-to-call progress on recorded Asterisk traffic (tests/fixtures/ami, captured from the sandbox):
// the real call tracker and ClickToCall, the recorded events fed as the PBX sends them (tracker first,
// as in src/calls/plugin.ts), the fixture's linkedid replaced by the request id the service chose. The only
// stand-in is the AMI action sender (a unit test sends nothing to a PBX). Checks what the manager is
// told: whose side failed, and how.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClickToCall, ORIGINATE_GRACE_MS } from '../../src/calls/click-to-call.js';
import { dialPolicyOf } from '../../src/calls/dial-policy.js';
import { loadBaseConfig } from '../../src/config/config.js';
import { CtiError } from '../../src/lib/errors.js';
import { CallTracker } from '../../src/calls/tracker.js';
import { openDb, type DbHandle } from '../../src/db/client.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { clickToCallFailure, type Pbx } from '../../src/pbx/pbx.js';
import type { C2cProgress } from '../../src/contract/index.js';
import { addUser, findUser } from '../../src/users/users.js';
import { loadScenario, scenarioEvents } from '../support/ami-fixture.js';

const handles: DbHandle[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const h of handles.splice(0)) await h.close();
});

/**
 * `fixtureNumber`: the client's number in the recording (a sandbox 1555... one), replaced by a Russian mobile.
 * `arrive`: the order (or the part) of the recording that reaches the service; `settle`: what passes after it.
 */
async function run(scenario: string, ext: string, fixtureNumber: string, o: { arrive?: (events: PbxEvent[]) => PbxEvent[]; settle?: (got: C2cProgress[]) => void } = {}): Promise<{ got: C2cProgress[]; record: ReturnType<import('../../src/calls/call.js').Call['toRecord']> | null }> {
  const h = await openDb(':memory:');
  handles.push(h);
  await addUser(h.db, { name: 'anna', role: 'supervisor', pbxId: 'main', extension: ext });
  const actor = (await findUser(h.db, 'anna'))!;
  const log = pino({ level: 'silent' });
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log });
  let record: ReturnType<import('../../src/calls/call.js').Call['toRecord']> | null = null;
  tracker.on('ended', (c) => { record = c.record; });
  const bus = new EventEmitter();
  const sent: Record<string, unknown>[] = [];
  const pbx = Object.assign(bus, { amiConnected: true, clickToCall: async (a: Record<string, unknown>) => { sent.push(a); } }) as unknown as Pbx;
  const got: C2cProgress[] = [];
  const c2c = new ClickToCall({ pbxes: new Map([['main', { link: pbx, tracker }]]), notify: (_u, p) => got.push(p), log, policy: dialPolicyOf(loadBaseConfig({})) });
  const number = `7916${fixtureNumber.slice(-7)}`;
  const { requestId } = await c2c.start({ db: h.db, actor: { id: actor.id, name: actor.name, role: actor.role, pbxId: 'main', extension: ext }, region: 'RU' }, { number: `+${number}` });
  expect(sent[0]).toMatchObject({ extension: ext, digits: number, requestId });
  const fixtureLinkedId = loadScenario(scenario).cdr[0]!.linkedid;
  // The recordings' Originates were sent under an earlier ActionID prefix (orig-): their responses are
  // given the one the service sends now, so that they reach ClickToCall as they do live.
  const events = scenarioEvents(scenario, { numbers: { [fixtureLinkedId]: requestId, [fixtureNumber]: number } })
    .map((e) => (e.type === 'originate.response' && e.actionId.startsWith('orig-') ? { ...e, actionId: `c2c-${requestId}` } : e));
  for (const e of o.arrive ? o.arrive(events) : events) {
    tracker.handle(e);
    bus.emit('event', e);
    const failed = clickToCallFailure(e);
    if (failed) bus.emit('clickToCallFailed', failed);
  }
  o.settle?.(got);
  c2c.stop();
  expect(got.every((p) => p.requestId === requestId)).toBe(true);
  return { got, record };
}

describe('click-to-call progress on recorded traffic', () => {
  it("the manager's own phone busy (199): failed you_busy, logged as an outbound click-to-call", async () => {
    const { got, record } = await run('click2call-busy', '199', '15551230017');
    expect(got.map((p) => [p.stage, p.reason])).toEqual([['calling_you', undefined], ['failed', 'you_busy']]);
    expect(record).toMatchObject({ direction: 'outbound', origin: 'click2call', extension: '199', disposition: 'busy', externalNumber: '+79161230017' });
  });

  // Asterisk 22 answers a busy phone's Originate with Reason 0, the same as a phone with no contact, and
  // that response may come before the event log's first record of the phone's channel (seen in CI on the
  // PBX on another host): the phone is still busy, not "not registered".
  it("the manager's own phone busy (199), the OriginateResponse overtaking the channel's records: still you_busy", async () => {
    const originateFirst = (events: PbxEvent[]) => [...events.filter((e) => e.type === 'originate.response'), ...events.filter((e) => e.type !== 'originate.response')];
    const { got, record } = await run('click2call-busy', '199', '15551230017', { arrive: originateFirst });
    expect(got.map((p) => [p.stage, p.reason])).toEqual([['calling_you', undefined], ['failed', 'you_busy']]);
    expect(record).toMatchObject({ extension: '199', disposition: 'busy' });
  });

  it("a phone with no channel at all (not registered): the failed Originate alone, after the grace: not_registered", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let before: string[] = [];
    const { got, record } = await run('click2call-busy', '199', '15551230017', {
      arrive: (events) => events.filter((e) => e.type === 'originate.response'),
      settle: (sofar) => {
        vi.advanceTimersByTime(ORIGINATE_GRACE_MS - 1);
        before = sofar.map((p) => p.stage);
        vi.advanceTimersByTime(1);
      },
    });
    expect(before).toEqual([]);
    expect(got.map((p) => [p.stage, p.reason])).toEqual([['failed', 'not_registered']]);
    expect(record).toBeNull();
  });

  it("the manager's own phone never answers (198): failed you_no_answer", async () => {
    const { got, record } = await run('click2call-no-answer', '198', '15551230018');
    expect(got.map((p) => [p.stage, p.reason])).toEqual([['calling_you', undefined], ['failed', 'you_no_answer']]);
    expect(record).toMatchObject({ direction: 'outbound', origin: 'click2call', extension: '198', disposition: 'no_answer' });
  });

  it("the manager answers, the client's line is busy: failed client_busy", async () => {
    const { got, record } = await run('click2call-client-busy', '101', '15550000486');
    expect(got.map((p) => [p.stage, p.reason])).toEqual([['calling_you', undefined], ['calling_client', undefined], ['failed', 'client_busy']]);
    expect(record).toMatchObject({ direction: 'outbound', origin: 'click2call', extension: '101', disposition: 'busy', answeredAt: null });
  });

  it('answered on both sides: calling_you -> calling_client -> talking -> ended', async () => {
    const { got, record } = await run('click2call', '101', '15551230007');
    expect(got.map((p) => p.stage)).toEqual(['calling_you', 'calling_client', 'talking', 'ended']);
    expect(record).toMatchObject({ origin: 'click2call', disposition: 'answered' });
  });
});

describe('click-to-call limits: calls of one manager at once', () => {
  it('a third call while two are in progress is 429 CTI_ERR_DIAL_CONCURRENCY_LIMITED; one ending frees its place', async () => {
    const h = await openDb(':memory:');
    handles.push(h);
    await addUser(h.db, { name: 'anna', role: 'supervisor', pbxId: 'main', extension: '101' });
    const u = (await findUser(h.db, 'anna'))!;
    const actor = { id: u.id, name: u.name, role: u.role, pbxId: 'main', extension: '101' };
    const bus = new EventEmitter();
    const sent: Record<string, unknown>[] = [];
    const pbx = Object.assign(bus, { amiConnected: true, clickToCall: async (a: Record<string, unknown>) => { sent.push(a); } }) as unknown as Pbx;
    const got: C2cProgress[] = [];
    const c2c = new ClickToCall({
      pbxes: new Map([['main', { link: pbx, tracker: null }]]), notify: (_u, p) => got.push(p), log: pino({ level: 'silent' }),
      policy: dialPolicyOf(loadBaseConfig({ CTI_DIAL_MAX_CONCURRENT: '2' })),
    });
    const start = (n: string) => c2c.start({ db: h.db, actor, region: 'RU' }, { number: n });
    const first = await start('+79161234561');
    await start('+79161234562');
    const third = await start('+79161234563').catch((e: unknown) => e);
    expect(third).toBeInstanceOf(CtiError);
    expect(third).toMatchObject({ code: 'CTI_ERR_DIAL_CONCURRENCY_LIMITED', status: 429, details: { max: 2 } });
    expect(sent).toHaveLength(2);
    // The first one's phone was busy (OriginateResponse Failure, reason 5): over, its place is free.
    bus.emit('clickToCallFailed', clickToCallFailure({ type: 'originate.response', at: 0, actionId: `c2c-${first.requestId}`, uniqueId: first.requestId, success: false, reason: 5, context: null, exten: null }));
    expect(got).toContainEqual(expect.objectContaining({ requestId: first.requestId, stage: 'failed', reason: 'you_busy' }));
    await start('+79161234563');
    expect(sent).toHaveLength(3);
    c2c.stop();
  });
});
