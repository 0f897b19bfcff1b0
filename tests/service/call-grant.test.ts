// The call grant (issue 11, README "Access"): a call on a manager's phone lets them read its caller's
// contact and client, though another manager owns them, while it rings or talks and, once answered by
// them, for the 7 days of its wrap-up. Reading only: changing the client or the contact, listing them
// and the client's other calls stay the owner's; a manager who was not on the call gets 403.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallStore } from '../../src/calls/store.js';
import type { CallRecord } from '../../src/calls/model.js';
import { createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser } from '../support/session.js';

const NUMBER = '+79161230001';
const DAY = 86_400_000;

describe('the call grant: a routed call lets its manager read the caller\'s card', () => {
  let t: TestApp;
  let store: CallStore;
  let cookies: Record<'anna' | 'boris' | 'kate', string>;
  let clientId: string;
  let contactId: string;

  /** A call from boris's client Ivan to `extension`; `answered`: answered there; `live`: still going. */
  async function call(id: string, o: { extension: string; answered: boolean; live?: boolean; startedAt?: number }): Promise<void> {
    const startedAt = o.startedAt ?? Date.now() - 60_000;
    const answeredAt = o.answered ? startedAt + 4000 : null;
    const endedAt = o.live ? null : startedAt + 50_000;
    const rec: CallRecord = {
      linkedId: id, mergedLinkedIds: [], state: o.live ? 'live' : 'ended', source: 'ami', needsCdr: false, direction: 'inbound', origin: null,
      externalNumber: NUMBER, contactId, clientId, routedBy: 'last_talked', extension: o.extension, startedAt, answeredAt, endedAt,
      ringMs: 4000, talkMs: o.answered && !o.live ? 46_000 : 0, disposition: o.live ? null : o.answered ? 'answered' : 'no_answer',
      hangupCause: null, recordingFile: null,
      legs: [{
        uniqueId: `${id}-leg`, channel: `PJSIP/${o.extension}-1`, extension: o.extension, startedAt, answeredAt, endedAt,
        ringMs: 4000, talkMs: 0, disposition: o.live ? null : o.answered ? 'answered' : 'no_answer', hangupCause: null,
      }],
    };
    await store.save(id, rec);
  }

  const get = async (who: keyof typeof cookies, url: string) => t.app.inject({ url, headers: { cookie: cookies[who] } });
  /** What `who` gets for the caller's contact, client and number lookup: the status codes. */
  const reads = async (who: keyof typeof cookies) => [
    (await get(who, `/api/v1/contacts/${contactId}`)).statusCode,
    (await get(who, `/api/v1/clients/${clientId}`)).statusCode,
    (await get(who, `/api/v1/contacts/lookup?number=${encodeURIComponent(NUMBER)}`)).statusCode,
  ];

  beforeEach(async () => {
    t = await testApp({}, { pbx: true });
    await seedPasswordUser(t.app, 'anna', 'manager', '101');
    await seedPasswordUser(t.app, 'boris', 'manager', '102');
    await seedPasswordUser(t.app, 'kate', 'manager', '103');
    cookies = { anna: await loginCookie(t.app, 'anna'), boris: await loginCookie(t.app, 'boris'), kate: await loginCookie(t.app, 'kate') };
    await seedPasswordUser(t.app, 'root', 'admin');
    const h = { authorization: `Bearer ${await createToken(t.app.db, 'root')}` };
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/clients', headers: h, payload: { kind: 'company', name: 'Romashka LLC', turnover: '250000', currency: 'RUB', ownerName: 'boris' } });
    expect(c.statusCode, c.body).toBe(201);
    clientId = c.json().id;
    const ct = await t.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: h, payload: { clientId, name: 'Ivan Petrov', phones: [{ number: NUMBER }] } });
    expect(ct.statusCode, ct.body).toBe(201);
    contactId = ct.json().id;
    store = new CallStore(t.app.db);
    // boris's own earlier call with Ivan: his, not anna's to see.
    await call('boris-earlier', { extension: '102', answered: true, startedAt: Date.now() - 2 * DAY });
  });
  afterEach(async () => t.close());

  it('without a call of hers, anna may not read boris\'s client', async () => {
    expect(await reads('anna')).toEqual([403, 403, 404]);
    expect(await reads('boris')).toEqual([200, 200, 200]);
  });

  it('while the call rings on anna\'s phone she reads the card; kate, not on the call, gets 403; once it ends unanswered by anna, so does she', async () => {
    await call('ringing', { extension: '101', answered: false, live: true });
    expect(await reads('anna')).toEqual([200, 200, 200]);
    expect(await reads('kate')).toEqual([403, 403, 404]);
    const card = (await get('anna', `/api/v1/clients/${clientId}`)).json();
    expect(card).toMatchObject({ name: 'Romashka LLC', turnover: '250000.00', currency: 'RUB' });
    const lookup = (await get('anna', `/api/v1/contacts/lookup?number=${encodeURIComponent(NUMBER)}`)).json();
    expect(lookup).toMatchObject({ contact: { name: 'Ivan Petrov' }, client: { name: 'Romashka LLC' }, owner: { name: 'boris' } });
    // Nobody answered on 101: the ring is over, and so is the grant.
    await call('ringing', { extension: '101', answered: false });
    expect(await reads('anna')).toEqual([403, 403, 404]);
  });

  it('after anna answered it: she reads the card and writes the wrap-up for 7 days; she cannot change the client, list it, or see boris\'s calls', async () => {
    await call('answered', { extension: '101', answered: true, startedAt: Date.now() - 3 * DAY });
    expect(await reads('anna')).toEqual([200, 200, 200]);
    expect(await reads('kate')).toEqual([403, 403, 404]);

    // The call names its caller to her, in the calls list and the pending wrap-ups.
    const mine = (await get('anna', '/api/v1/calls')).json().items as { id: string; contact: { name: string } | null; client: { name: string } | null }[];
    expect(mine.map((c) => [c.id, c.contact?.name, c.client?.name])).toEqual([['answered', 'Ivan Petrov', 'Romashka LLC']]);
    const pending = (await get('anna', '/api/v1/calls?wrapup=pending')).json().items as { id: string; client: { name: string } | null }[];
    expect(pending.map((c) => [c.id, c.client?.name])).toEqual([['answered', 'Romashka LLC']]);
    const byContact = (await get('anna', `/api/v1/calls?contactId=${contactId}`)).json().items as { id: string }[];
    expect(byContact.map((c) => c.id)).toEqual(['answered']); // not boris's earlier call

    const w = await t.app.inject({ method: 'POST', url: '/api/v1/calls/answered/wrapup', headers: { cookie: cookies.anna, 'x-cti-csrf': '1' }, payload: { description: 'Asked for the price list', outcome: 'quote_sent' } });
    expect(w.statusCode, w.body).toBeLessThan(300);

    const write = { cookie: cookies.anna, 'x-cti-csrf': '1' };
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/clients/${clientId}`, headers: write, payload: { name: 'Mine now' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/contacts/${contactId}`, headers: write, payload: { name: 'Ivan' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/contacts/${contactId}`, headers: write })).statusCode).toBe(403);
    expect((await get('anna', '/api/v1/clients')).json().items).toEqual([]);
    expect((await get('anna', '/api/v1/contacts')).json().items).toEqual([]);
    expect((await get('boris', `/api/v1/clients/${clientId}`)).json().name).toBe('Romashka LLC');
  });

  it('a call anna answered more than 7 days ago no longer grants the card, nor names its caller', async () => {
    await call('old', { extension: '101', answered: true, startedAt: Date.now() - 8 * DAY });
    expect(await reads('anna')).toEqual([403, 403, 404]);
    const mine = (await get('anna', '/api/v1/calls?from=' + new Date(Date.now() - 30 * DAY).toISOString())).json().items as { id: string; contact: unknown; client: unknown }[];
    expect(mine.map((c) => [c.id, c.contact, c.client])).toEqual([['old', null, null]]);
  });
});
