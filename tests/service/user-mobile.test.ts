// A user's mobile (issue 12, forwarding and follow-me): admins set it through the users API in any usual
// form, it is stored in E.164, one mobile belongs to one person, and the call interpreter's question
// "whose mobile is this number" (whoseMobile) answers from whatever form the PBX dialled.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, createToken } from '../../src/users/users.js';
import { whoseMobile } from '../../src/users/directory.js';
import { MobileDirectory } from '../../src/users/mobiles.js';
import pino from 'pino';
import { testApp, type TestApp } from '../support/app.js';
import { seedPasswordUser } from '../support/session.js';

describe("a user's mobile", () => {
  let t: TestApp;
  const tok: Record<string, string> = {};
  const id: Record<string, string> = {};
  const h = (who: string) => ({ authorization: `Bearer ${tok[who]}` });
  const patch = (who: string, payload: object, as = 'root') =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id[who]}`, headers: h(as), payload });

  beforeEach(async () => {
    t = await testApp({ CTI_TIMEZONE: 'UTC' });
    id.anna = await seedPasswordUser(t.app, 'anna', 'manager', '101');
    id.boris = await seedPasswordUser(t.app, 'boris', 'manager', '102');
    id.root = await seedPasswordUser(t.app, 'root', 'admin');
    for (const n of ['anna', 'boris', 'root']) tok[n] = await createToken(t.app.db, n);
  });
  afterEach(async () => t.close());

  it('an admin sets it in the national form, the API shows it in E.164, and clears it with null or ""', async () => {
    const r = await patch('anna', { mobile: '8 (916) 000-01-03' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ name: 'anna', extension: '101', mobile: '+79160000103' });
    const list = (await t.app.inject({ url: '/api/v1/users', headers: h('root') })).json().items as { name: string; mobile: string | null }[];
    expect(Object.fromEntries(list.map((u) => [u.name, u.mobile]))).toEqual({ anna: '+79160000103', boris: null, root: null });
    // Changing something else keeps it.
    expect((await patch('anna', { language: 'en' })).json().mobile).toBe('+79160000103');
    expect((await patch('anna', { mobile: '' })).json().mobile).toBeNull();
    await patch('anna', { mobile: '+79160000103' });
    expect((await patch('anna', { mobile: null })).json().mobile).toBeNull();
  });

  it('a new user can have one from the start', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: h('root'), payload: { name: 'vera', role: 'manager', extension: '103', mobile: '+7 916 000 01 05', password: 'a long password' } });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ name: 'vera', mobile: '+79160000105' });
  });

  it('what is not a phone number is 400 and changes nothing', async () => {
    await patch('anna', { mobile: '89160000103' });
    for (const bad of ['not a number', '123', '+7 916', '8916000010399999']) {
      const r = await patch('anna', { mobile: bad });
      expect(r.statusCode, `${bad}: ${r.body}`).toBe(400);
      expect(r.json().error.message).toMatch(/mobile/);
    }
    expect((await patch('anna', {})).json().mobile).toBe('+79160000103');
  });

  it("another user's mobile is 409 CTI_ERR_MOBILE_TAKEN naming who has it, in whatever form it is typed", async () => {
    await patch('anna', { mobile: '+79160000103' });
    const r = await patch('boris', { mobile: '8-916-000-01-03' });
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json().error).toMatchObject({ code: 'CTI_ERR_MOBILE_TAKEN', details: { mobile: '+79160000103', user: 'anna' } });
    await expect(addUser(t.app.db, { name: 'olga', role: 'manager', extension: '104', mobile: '79160000103' })).rejects.toMatchObject({ code: 'CTI_ERR_MOBILE_TAKEN' });
    // Keeping one's own is no conflict.
    expect((await patch('anna', { mobile: '89160000103' })).statusCode).toBe(200);
  });

  it('only admins set it', async () => {
    const r = await patch('anna', { mobile: '+79160000103' }, 'anna');
    expect(r.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/users', headers: h('root') })).json().items.find((u: any) => u.name === 'anna').mobile).toBeNull();
  });

  it('whoseMobile names the user from the number as a PBX dials it (8…, 7…, +7…), and nobody for other numbers', async () => {
    await patch('anna', { mobile: '+79160000103' });
    for (const dialled of ['89160000103', '79160000103', '+79160000103', '8 916 000-01-03']) {
      expect(await whoseMobile(t.app.db, dialled, 'RU'), dialled).toMatchObject({ id: id.anna, name: 'anna', extension: '101', mobile: '+79160000103' });
    }
    expect(await whoseMobile(t.app.db, '89160000104', 'RU')).toBeNull();
    expect(await whoseMobile(t.app.db, '103', 'RU')).toBeNull();
    expect(await whoseMobile(t.app.db, '', 'RU')).toBeNull();
    expect(await whoseMobile(t.app.db, null, 'RU')).toBeNull();
    // After it is cleared, the number is nobody's.
    await patch('anna', { mobile: null });
    expect(await whoseMobile(t.app.db, '89160000103', 'RU')).toBeNull();
  });

  it("the call tracker's copy (MobileDirectory) answers at once from any dialled form, follows a refresh, and names no extension for a mobile-only user", async () => {
    const mobiles = new MobileDirectory({ db: t.app.db, region: 'RU', log: pino({ level: 'silent' }), refreshMs: 3_600_000 });
    await mobiles.start();
    try {
      expect(mobiles.extensionOf('main', '89160000103')).toBeNull();
      await patch('anna', { mobile: '8 916 000-01-03' });
      await addUser(t.app.db, { name: 'vera', role: 'supervisor', mobile: '+79160000177' });
      // Two refreshes asked at once: one read, then one more, and both see the change.
      await Promise.all([mobiles.refresh(), mobiles.refresh()]);
      for (const dialled of ['89160000103', '79160000103', '+79160000103']) expect(mobiles.extensionOf('main', dialled), dialled).toBe('101');
      expect(mobiles.extensionOf('main', '+79160000177')).toBeNull(); // vera has a mobile but no extension
      expect(mobiles.extensionOf('main', '89160000104')).toBeNull();
      // anna's extension is on PBX main: on another PBX her mobile names no phone of that PBX.
      expect(mobiles.extensionOf('kzn', '+79160000103')).toBeNull();
      expect(mobiles.extensionOf('main', null)).toBeNull();
      await patch('anna', { mobile: null });
      await mobiles.refresh();
      expect(mobiles.extensionOf('main', '89160000103')).toBeNull();
    } finally {
      mobiles.stop();
    }
  });
});
