// The text rule (issue 10, item 12; src/lib/text.ts): names are NFC; control characters, bidi overrides
// and isolates, and lone surrogates are refused with a 400 naming the field, on every route that takes
// names and in the CSV import (the bad row reported, the rest imported). Notes keep their line breaks.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';

const DECOMPOSED = 'Андре\u0438\u0306'; // "Андрей" with й as и + combining breve
const COMPOSED = 'Андрей';
const BAD: [string, string, RegExp][] = [
  ['a control character', 'Anna\u0007', /control character/],
  ['a bidi override', 'Anna\u202Egnp.exe', /U\+202E/],
  ['a lone surrogate', 'Anna\ud800', /lone surrogate/],
];

describe('names and notes', { timeout: 30_000 }, () => {
  let t: TestApp;
  let root: string;
  const h = () => ({ authorization: `Bearer ${root}`, 'content-type': 'application/json' });
  /** JSON.stringify writes a lone surrogate as the escape "\ud800", as a browser would send it. */
  const send = (method: 'POST' | 'PATCH' | 'PUT', url: string, body: unknown) =>
    t.app.inject({ method, url, headers: h(), payload: JSON.stringify(body) });

  beforeEach(async () => {
    t = await testApp();
    await addUser(t.app.db, { name: 'root', role: 'admin' });
    root = await createToken(t.app.db, 'root');
  });
  afterEach(async () => t.close());

  function expectBadText(r: { statusCode: number; json(): { error: { code: string; message: string; details?: { field?: string } } } }, field: string, why: RegExp) {
    expect(r.statusCode).toBe(400);
    const e = r.json().error;
    expect(e.code).toBe('CTI_ERR_BAD_TEXT');
    expect(e.message).toMatch(new RegExp(`^${field.replace(/\//g, '\\/')}: `));
    expect(e.message).toMatch(why);
    expect(e.details?.field).toBe(field);
  }

  it('users: a decomposed name is stored composed (NFC), and logs in either way', async () => {
    const r = await send('POST', '/api/v1/users', { name: DECOMPOSED, role: 'supervisor', password: 'long enough pw' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().name).toBe(COMPOSED);
    for (const name of [COMPOSED, DECOMPOSED]) {
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: name, password: 'long enough pw' } })).statusCode).toBe(200);
    }
  });

  it.each(BAD)('users: a name with %s is refused with a 400 naming the field', async (_what, name, why) => {
    expectBadText(await send('POST', '/api/v1/users', { name, role: 'supervisor', password: 'long enough pw' }), 'name', why);
  });

  it('clients and contacts: names are stored NFC', async () => {
    const c = await send('POST', '/api/v1/clients', { name: `ООО ${DECOMPOSED}` });
    expect(c.statusCode, c.body).toBe(201);
    expect(c.json().name).toBe(`ООО ${COMPOSED}`);
    const k = await send('POST', '/api/v1/contacts', { clientId: c.json().id, name: DECOMPOSED, phones: [{ number: '+79161234567', label: `мобильны${'\u0438\u0306'}` }] });
    expect(k.statusCode, k.body).toBe(201);
    expect(k.json().name).toBe(COMPOSED);
    expect(k.json().phones[0].label).toBe('мобильный');
    const found = await t.app.inject({ url: `/api/v1/clients?q=${encodeURIComponent(COMPOSED)}`, headers: h() });
    expect(found.json().items).toHaveLength(1);
  });

  it.each(BAD)('clients and contacts: %s in a name, segment, label or email is refused with a 400 naming the field', async (_what, bad, why) => {
    expectBadText(await send('POST', '/api/v1/clients', { name: bad }), 'name', why);
    expectBadText(await send('POST', '/api/v1/clients', { name: 'Ok', segment: bad }), 'segment', why);
    const c = await send('POST', '/api/v1/clients', { name: 'Ok' });
    expectBadText(await send('PATCH', `/api/v1/clients/${c.json().id}`, { name: bad }), 'name', why);
    expectBadText(await send('PUT', '/api/v1/clients/external/X1', { name: bad }), 'name', why);
    expectBadText(await send('POST', '/api/v1/contacts', { clientId: c.json().id, name: bad }), 'name', why);
    expectBadText(await send('POST', '/api/v1/contacts', { clientId: c.json().id, name: 'Ok', phones: [{ number: '+79161234567', label: bad }] }), 'phones/0/label', why);
    expectBadText(await send('POST', '/api/v1/contacts', { clientId: c.json().id, name: 'Ok', email: `${bad}@example.com` }), 'email', why);
  });

  it('the CSV import: bad names are reported by row and column, the rest imported NFC', async () => {
    const csv = [
      'client_external_id,client_name,contact_external_id,contact_name',
      `C1,Good ${DECOMPOSED},P1,${DECOMPOSED}`,
      'C2,"Bell\u0007",P2,Ok',
      'C3,Ok,P3,"Anna\u202Egnp.exe"',
      'C4,Fine,P4,Fine',
    ].join('\n');
    const up = await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: { authorization: `Bearer ${root}`, 'content-type': 'text/csv' }, payload: csv });
    expect(up.statusCode, up.body).toBe(202);
    let job = up.json();
    for (let i = 0; i < 200 && job.state === 'running'; i++) {
      await new Promise((res) => setTimeout(res, 10));
      job = (await t.app.inject({ url: `/api/v1/imports/${job.id}`, headers: h() })).json();
    }
    expect(job).toMatchObject({ state: 'done', rowsImported: 2, rowsRejected: 2 });
    expect(job.errors).toEqual([
      { row: 3, column: 'client_name', reason: expect.stringMatching(/control character/) },
      { row: 4, column: 'contact_name', reason: expect.stringMatching(/U\+202E/) },
    ]);
    const names = (await t.app.inject({ url: '/api/v1/clients', headers: h() })).json().items.map((c: { name: string }) => c.name);
    expect(names).toEqual(['Fine', `Good ${COMPOSED}`]);
  });

  it('notes (wrap-up and task descriptions) keep line breaks but refuse bidi overrides and lone surrogates', async () => {
    const now = Date.now() - 60_000;
    const rec: CallRecord = {
      linkedId: 'L1', mergedLinkedIds: [], state: 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null, contactId: null, clientId: null, routedBy: null,
      externalNumber: '+79161234567', extension: '101', startedAt: now, answeredAt: now + 5000, endedAt: now + 30_000,
      ringMs: 5000, talkMs: 25_000, disposition: 'answered', hangupCause: null, recordingFile: null, legs: [],
    };
    await new CallStore(t.app.db).save('c1', rec);
    const wrap = (description: string) => send('POST', '/api/v1/calls/c1/wrapup', { description, outcome: 'sale', nextStep: { dueAt: new Date(Date.now() + 3_600_000).toISOString() } });
    expectBadText(await wrap('call back \u202Etomorrow'), 'description', /U\+202E/);
    expectBadText(await wrap('call back \ud800'), 'description', /lone surrogate/);
    expectBadText(await wrap('bell \u0007'), 'description', /control character/);
    const ok = await wrap(`two lines:\n\t${DECOMPOSED}`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().wrapup.description).toBe(`two lines:\n\t${COMPOSED}`);
    const task = ok.json().task.id as string;
    expectBadText(await send('PATCH', `/api/v1/tasks/${task}`, { description: 'x\u2066y' }), 'description', /U\+2066/);
  });
});
