// The demo's login page reads its logins from GET /api/v1/auth/demo: only a service started as the demo
// (CTI_DEMO=true, as `cti demo` does) answers it; a real deployment's login page names nobody.
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, DEMO_USERS } from '../../src/demo/data.js';
import { testApp, type TestApp } from '../support/app.js';

describe('the demo logins', () => {
  let t: TestApp | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('are listed with their password when the service runs as the demo', async () => {
    t = await testApp({ CTI_DEMO: 'true' });
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/auth/demo' });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { password: string; users: { name: string; role: string; extension: string | null }[] };
    expect(body.password).toBe(DEMO_PASSWORD);
    expect(body.users.map((u) => `${u.name}:${u.role}:${u.extension ?? '-'}`)).toEqual(
      ['anna:manager:101', 'boris:manager:102', 'olga:manager:103', 'denis:manager:198', 'sveta:supervisor:-', 'admin:admin:-']);
    expect(body.users).toHaveLength(DEMO_USERS.length);
  });

  it('are not there in any other service', async () => {
    t = await testApp();
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/auth/demo' });
    expect(r.statusCode).toBe(404);
    expect(r.body).not.toContain(DEMO_PASSWORD);
  });
});
