// The routing rules API the rules form uses: who may read, check and save them, and how a bad value is
// told back (every problem at its field's path), with nothing saved.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, createToken } from '../../src/users/users.js';
import { testApp, type TestApp } from '../support/app.js';

const RULES = {
  priorManager: { enabled: true, windowDays: 30, useOwner: false },
  managerRingSeconds: 15, targetRingSeconds: 45, currency: 'RUB', deadlineMs: 300,
  tiers: [
    { name: 'retail', minTurnover: 0, target: { extension: '101' } },
    { name: 'key', minTurnover: 500_000, target: { group: ['101', '102'] } },
  ],
  defaultTarget: { queue: 'sales' },
};

describe('routing rules API', () => {
  let t: TestApp;
  let dir: string;
  let file: string;
  const tokens: Record<string, string> = {};
  const call = (who: string, method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload ? { payload } : {}) });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cti-routing-'));
    file = join(dir, 'routing.json');
    t = await testApp({ CTI_ROUTING_FILE: file });
    await addUser(t.app.db, { name: 'anna', role: 'manager', extension: '101' });
    await addUser(t.app.db, { name: 'boris', role: 'manager', extension: '102' });
    await addUser(t.app.db, { name: 'sveta', role: 'supervisor' });
    await addUser(t.app.db, { name: 'root', role: 'admin' });
    for (const n of ['anna', 'boris', 'sveta', 'root']) tokens[n] = await createToken(t.app.db, n);
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an admin saves rules; they are in force and in the file', async () => {
    const put = await call('root', 'PUT', '/api/v1/routing/rules', RULES);
    expect(put.statusCode, put.body).toBe(200);
    expect((await call('sveta', 'GET', '/api/v1/routing/rules')).json()).toEqual(RULES);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(RULES);
  });

  it('a bad save names every bad field at its path and saves nothing', async () => {
    const bad = { ...RULES, managerRingSeconds: 500, tiers: [RULES.tiers[0], { ...RULES.tiers[1], target: { extension: 'x1' } }] };
    const put = await call('root', 'PUT', '/api/v1/routing/rules', bad);
    expect(put.statusCode).toBe(400);
    const err = put.json().error;
    expect(err.code).toBe('CTI_ERR_BAD_REQUEST');
    expect(err.message).toMatch(/^managerRingSeconds: /);
    expect(err.details.problems.map((p: { path: string; code: string; max?: number }) => [p.path, p.code, p.max])).toEqual([
      ['managerRingSeconds', 'too_big', 120],
      ['tiers.1.target.extension', 'format', undefined],
    ]);
    const unordered = await call('root', 'PUT', '/api/v1/routing/rules', { ...RULES, tiers: [...RULES.tiers].reverse() });
    expect(unordered.json().error.details.problems).toMatchObject([{ path: 'tiers.1.minTurnover', code: 'threshold_order', min: 500_000 }]);
    expect(existsSync(file)).toBe(false);
    expect((await call('root', 'GET', '/api/v1/routing/rules')).json().managerRingSeconds).toBe(20);
  });

  it('check says errors and warnings without saving; fills the defaults of good rules', async () => {
    const good = await call('root', 'POST', '/api/v1/routing/rules/check', { defaultTarget: { group: ['101', '199'] } });
    expect(good.statusCode).toBe(200);
    expect(good.json()).toMatchObject({
      rules: { managerRingSeconds: 20, targetRingSeconds: 60, priorManager: { windowDays: 90 } },
      problems: [{ path: 'defaultTarget.group.1', code: 'unknown_extension', severity: 'warning' }],
    });
    const bad = await call('root', 'POST', '/api/v1/routing/rules/check', { ...RULES, targetRingSeconds: 1 });
    expect(bad.json()).toMatchObject({ rules: null, problems: [{ path: 'targetRingSeconds', code: 'too_small', severity: 'error', min: 3 }] });
    expect(existsSync(file)).toBe(false);
  });

  it('the phones a target can ring: users with an extension, by name', async () => {
    const r = await call('sveta', 'GET', '/api/v1/routing/phones');
    expect(r.statusCode).toBe(200);
    expect(r.json().items).toEqual([
      { pbx: 'main', extension: '101', name: 'anna', role: 'manager' },
      { pbx: 'main', extension: '102', name: 'boris', role: 'manager' },
    ]);
  });

  it('a supervisor reads but may not check or save; a manager may not even read', async () => {
    expect((await call('sveta', 'GET', '/api/v1/routing/rules')).statusCode).toBe(200);
    for (const [method, url] of [['PUT', '/api/v1/routing/rules'], ['POST', '/api/v1/routing/rules/check']] as const) {
      const r = await call('sveta', method, url, RULES);
      expect(r.statusCode, url).toBe(403);
      expect(r.json().error.code).toBe('CTI_ERR_FORBIDDEN');
    }
    expect(existsSync(file)).toBe(false);
    for (const url of ['/api/v1/routing/rules', '/api/v1/routing/phones']) expect((await call('anna', 'GET', url)).statusCode, url).toBe(403);
  });
});
