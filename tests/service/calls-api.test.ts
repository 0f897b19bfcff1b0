import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';
import { wav } from '../support/wav.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');

function record(over: Partial<CallRecord> & { linkedId: string }): CallRecord {
  return {
    mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
    externalNumber: '+79161234567', extension: '101', startedAt: T0, answeredAt: T0 + 5000, endedAt: T0 + 65_000,
    ringMs: 5000, talkMs: 60_000, disposition: 'answered', hangupCause: 'Normal Clearing (16)', recordingFile: null,
    legs: [{ uniqueId: `${over.linkedId}-leg`, channel: 'PJSIP/101-00000001', extension: over.extension ?? '101', startedAt: T0 + 100, answeredAt: T0 + 5000, endedAt: T0 + 65_000, ringMs: 4900, talkMs: 60_000, disposition: 'answered', hangupCause: null }],
    ...over,
  };
}

describe('calls API', () => {
  let t: TestApp;
  let anna: string; // manager on 101
  let boris: string; // manager on 102
  let sveta: string; // supervisor
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}` });

  beforeEach(async () => {
    t = await testApp({ CTI_PUBLIC_URL: 'https://cti.example.com/' }); // where the CSV's recording links point
    const db = t.app.db;
    await addUser(db, { name: 'anna', role: 'manager', extension: '101' });
    await addUser(db, { name: 'boris', role: 'manager', extension: '102' });
    await addUser(db, { name: 'sveta', role: 'supervisor' });
    anna = await createToken(db, 'anna');
    boris = await createToken(db, 'boris');
    sveta = await createToken(db, 'sveta');
    const store = new CallStore(db);
    mkdirSync(t.config.CTI_RECORDINGS_DIR, { recursive: true });
    writeFileSync(join(t.config.CTI_RECORDINGS_DIR, 'L1.wav'), wav(3));
    await store.save('c1', record({ linkedId: 'L1', recordingFile: '/var/spool/asterisk/monitor/cti/L1.wav' }));
    await store.save('c2', record({ linkedId: 'L2', extension: '102', startedAt: T0 + 60_000, direction: 'outbound' }));
    await store.save('c3', record({ linkedId: 'L3', extension: '198', startedAt: T0 + 120_000, answeredAt: null, talkMs: 0, disposition: 'no_answer', legs: [] }));
  });
  afterEach(async () => t.close());

  it('refuses requests without a valid token (401)', async () => {
    expect((await t.app.inject({ url: '/api/v1/calls' })).statusCode).toBe(401);
    const bad = await t.app.inject({ url: '/api/v1/calls', headers: auth('cti_nope') });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('CTI_ERR_UNAUTHORIZED');
  });

  it('returns calls with exactly the documented fields, newest first', async () => {
    const r = await t.app.inject({ url: '/api/v1/calls', headers: auth(sveta) });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.items.map((c: { linkedId: string }) => c.linkedId)).toEqual(['L3', 'L2', 'L1']);
    const c1 = body.items[2];
    for (const f of ['id', 'linkedId', 'direction', 'externalNumber', 'extension', 'managerId', 'contactId', 'startedAt', 'answeredAt', 'endedAt', 'ringSeconds', 'talkSeconds', 'disposition', 'hangupCause', 'recording', 'legs']) {
      expect(c1).toHaveProperty(f);
    }
    expect(c1).toMatchObject({
      direction: 'inbound', externalNumber: '+79161234567', extension: '101', contactId: null,
      startedAt: '2026-11-20T09:00:00.000Z', answeredAt: '2026-11-20T09:00:05.000Z', endedAt: '2026-11-20T09:01:05.000Z',
      ringSeconds: 5, talkSeconds: 60, disposition: 'answered', hangupCause: 'Normal Clearing (16)',
      recording: { url: '/api/v1/calls/c1/recording', durationSeconds: 3 },
    });
    expect(c1.managerId).toBeTypeOf('string');
    expect(c1.legs[0]).toMatchObject({ extension: '101', talkSeconds: 60, disposition: 'answered' });
    expect(body.items[1].recording).toBeNull();
  });

  it('shows a manager only the calls on their own extension, and 403 for another manager\'s call', async () => {
    const mine = await t.app.inject({ url: '/api/v1/calls', headers: auth(anna) });
    expect(mine.json().items.map((c: { linkedId: string }) => c.linkedId)).toEqual(['L1']);
    const other = await t.app.inject({ url: '/api/v1/calls/c2', headers: auth(anna) });
    expect(other.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: auth(boris) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/calls/c2', headers: auth(boris) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/calls/nope', headers: auth(sveta) })).statusCode).toBe(404);
  });

  it('filters and pages with a cursor', async () => {
    const p1 = await t.app.inject({ url: '/api/v1/calls?limit=2', headers: auth(sveta) });
    expect(p1.json().items).toHaveLength(2);
    const cursor = p1.json().nextCursor;
    expect(cursor).toBeTypeOf('string');
    const p2 = await t.app.inject({ url: `/api/v1/calls?limit=2&cursor=${cursor}`, headers: auth(sveta) });
    expect(p2.json().items.map((c: { linkedId: string }) => c.linkedId)).toEqual(['L1']);
    expect(p2.json().nextCursor).toBeNull();
    const missed = await t.app.inject({ url: '/api/v1/calls?disposition=no_answer', headers: auth(sveta) });
    expect(missed.json().items.map((c: { linkedId: string }) => c.linkedId)).toEqual(['L3']);
    const out = await t.app.inject({ url: '/api/v1/calls?direction=outbound&extension=102', headers: auth(sveta) });
    expect(out.json().items.map((c: { linkedId: string }) => c.linkedId)).toEqual(['L2']);
    const window = await t.app.inject({ url: `/api/v1/calls?from=${encodeURIComponent('2026-11-20T09:00:30Z')}&to=${encodeURIComponent('2026-11-20T09:01:30Z')}`, headers: auth(sveta) });
    expect(window.json().items.map((c: { linkedId: string }) => c.linkedId)).toEqual(['L2']);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['direction=sideways', 'direction'],
    ['disposition=maybe', 'disposition'],
    ['from=yesterday', 'from'],
    ['cursor=garbage', 'cursor'],
    ['colour=red', 'colour'],
    ['from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z', 'from'],
  ])('rejects %s with 400 naming the parameter', async (qs, param) => {
    const r = await t.app.inject({ url: `/api/v1/calls?${qs}`, headers: auth(sveta) });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('CTI_ERR_BAD_REQUEST');
    expect(r.json().error.message).toContain(param);
  });

  it('serves the recording whole and by HTTP Range, 416 outside it, 404 without one', async () => {
    const whole = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: auth(anna) });
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.rawPayload.length).toBe(44 + 48_000);
    const part = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range: 'bytes=0-43' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-43/${44 + 48_000}`);
    expect(part.rawPayload.subarray(0, 4).toString()).toBe('RIFF');
    const tail = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range: 'bytes=-100' } });
    expect(tail.statusCode).toBe(206);
    expect(tail.rawPayload.length).toBe(100);
    const beyond = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range: 'bytes=999999-' } });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${44 + 48_000}`);
    expect((await t.app.inject({ url: '/api/v1/calls/c3/recording', headers: auth(sveta) })).statusCode).toBe(404);
  });

  it('a Range it does not serve (another unit, several ranges, a malformed one) gets 200 and the whole file (RFC 9110 §14.2)', async () => {
    const size = 44 + 48_000;
    for (const range of ['items=0-5', 'bytes=0-1,5-9', 'bytes=0-1, -5', 'bytes=9-5', 'bytes=abc', 'bytes=-', 'bytes 0-5']) {
      const r = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range } });
      expect(r.statusCode, range).toBe(200);
      expect(r.headers['content-range'], range).toBeUndefined();
      expect(r.rawPayload.length, range).toBe(size);
    }
    // Unsatisfiable byte ranges are 416 with the current length (§15.5.17): a start at or past the end, an empty suffix.
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0']) {
      const r = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range } });
      expect(r.statusCode, range).toBe(416);
      expect(r.headers['content-range'], range).toBe(`bytes */${size}`);
    }
    // The unit is case-insensitive (§14.1); a last position past the end is cut to the end (§14.1.2).
    const last = await t.app.inject({ url: '/api/v1/calls/c1/recording', headers: { ...auth(anna), range: `Bytes=${size - 4}-${size + 100}` } });
    expect(last.statusCode).toBe(206);
    expect(last.headers['content-range']).toBe(`bytes ${size - 4}-${size - 1}/${size}`);
  });

  it('a live call: ring and talk time so far (now - answeredAt), not the stored 0', async () => {
    const now = Date.now();
    const store = new CallStore(t.app.db);
    const leg = (id: string, answeredAt: number | null) => ({ uniqueId: id, channel: 'PJSIP/101-00000009', extension: '101', startedAt: now - 30_000, answeredAt, endedAt: null, ringMs: 0, talkMs: 0, disposition: null, hangupCause: null });
    await store.save('talking', record({ linkedId: 'LT', state: 'live', startedAt: now - 30_000, answeredAt: now - 20_000, endedAt: null, ringMs: 0, talkMs: 0, disposition: null, legs: [leg('LT-leg', now - 20_000)] }));
    await store.save('ringing', record({ linkedId: 'LR', state: 'live', startedAt: now - 8_000, answeredAt: null, endedAt: null, ringMs: 0, talkMs: 0, disposition: null, legs: [] }));
    const talking = (await t.app.inject({ url: '/api/v1/calls/talking', headers: auth(sveta) })).json();
    expect(talking).toMatchObject({ state: 'live', ringSeconds: 10 });
    expect(talking.talkSeconds).toBeGreaterThanOrEqual(20);
    expect(talking.talkSeconds).toBeLessThanOrEqual(22);
    expect(talking.legs[0].ringSeconds).toBe(10);
    expect(talking.legs[0].talkSeconds).toBeGreaterThanOrEqual(20);
    const ringing = (await t.app.inject({ url: '/api/v1/calls?linkedId=LR', headers: auth(sveta) })).json().items[0];
    expect(ringing).toMatchObject({ state: 'live', talkSeconds: 0 });
    expect(ringing.ringSeconds).toBeGreaterThanOrEqual(8);
    expect(ringing.ringSeconds).toBeLessThanOrEqual(10);
    // An ended call keeps its stored times.
    expect((await t.app.inject({ url: '/api/v1/calls/c1', headers: auth(sveta) })).json()).toMatchObject({ ringSeconds: 5, talkSeconds: 60 });
  });

  it('CSV: the recording link is absolute, built from CTI_PUBLIC_URL, never from the Host or X-Forwarded-* headers', async () => {
    const hostile = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
    const r = await t.app.inject({ url: '/api/v1/calls?format=csv', headers: { ...auth(sveta), ...hostile } });
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain('evil.example');
    const rows = r.body.replace(/^\uFEFF/, '').split('\r\n').filter(Boolean).map((l) => l.split(';'));
    const c1 = rows.find((l) => l.at(-1) === 'c1')!;
    expect(c1.at(-2)).toBe('https://cti.example.com/api/v1/calls/c1/recording');
    // The link works as it says (same host, with the token).
    const rec = await t.app.inject({ url: new URL(c1.at(-2)!).pathname, headers: auth(sveta) });
    expect(rec.statusCode).toBe(200);
    // No recording: empty.
    expect(rows.find((l) => l.at(-1) === 'c3')!.at(-2)).toBe('');
  });

  it('describes the API with OpenAPI at /api/docs', async () => {
    const r = await t.app.inject({ url: '/api/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/calls', '/api/v1/calls/{id}', '/api/v1/calls/{id}/recording', '/healthz']));
  });
});
