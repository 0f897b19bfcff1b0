// The routing rules form <-> the rules JSON: every field survives the round trip, typed numbers read as
// people type them, and a value that is no number goes to the service as typed (which names the field).
import { describe, expect, it } from 'vitest';
import { checkRules } from '../../src/routing/rules.js';
import {
  addTier, formFromJson, formPaths, fromRules, moveTier, problemsFor, removeTier, toRules, typedNumber, type RoutingRules,
} from '../../web/src/routing-form.js';

const RULES: RoutingRules = {
  priorManager: { enabled: false, windowDays: 45, useOwner: false },
  managerRingSeconds: 17,
  targetRingSeconds: 75,
  currency: 'EUR',
  tiers: [
    { name: 'small', minTurnover: 0, target: { extension: '103' } },
    { name: 'mid', minTurnover: 150_000.5, target: { group: ['101', '102'] } },
    { name: 'key-accounts', minTurnover: 2_000_000, target: { queue: 'key_accounts' } },
  ],
  defaultTarget: { group: ['101', '199'] },
  deadlineMs: 450,
};

describe('routing rules form', () => {
  it('every field of the rules makes the round trip through the form', () => {
    expect(toRules(fromRules(RULES))).toEqual(RULES);
    for (const defaultTarget of [{ extension: '101' }, { queue: 'sales' }, { group: ['105'] }]) {
      const r = { ...RULES, defaultTarget, priorManager: { enabled: true, windowDays: 1, useOwner: true } };
      expect(toRules(fromRules(r))).toEqual(r);
    }
    // And the service takes what the form gives back, unchanged.
    expect(checkRules(toRules(fromRules(RULES))).rules).toEqual(RULES);
  });

  it('keeps the rules of each PBX (byPbx) through the form and a save unchanged, though the form has no fields for them', () => {
    const byPbx: NonNullable<RoutingRules['byPbx']> = {
      kzn: {
        defaultTarget: { extension: '101' },
        tiers: [{ name: 'kzn-key', minTurnover: 1_000_000, target: { queue: 'kzn_key' } }],
        dids: { '78435550100': { group: ['101', '102'] }, '78435550101': { queue: 'kzn_sales' } },
      },
      spb: { dids: { '78125550100': { extension: '201' } } },
    };
    const rules: RoutingRules = { ...RULES, byPbx };
    const form = fromRules(rules);
    expect(toRules(form)).toEqual(rules);
    // An admin changes a field of the form and saves: the per-PBX rules go back as they came.
    const edited = toRules({ ...form, managerRingSeconds: '20', tiers: form.tiers.slice(1) });
    expect(edited.byPbx).toEqual(byPbx);
    expect(edited.managerRingSeconds).toBe(20);
    // The service takes what the form gives back, byPbx with it.
    expect(checkRules(toRules(form)).rules).toEqual(rules);
    // The JSON tab and back to the form: kept too.
    expect(toRules(formFromJson(JSON.parse(JSON.stringify(toRules(form))), form)!).byPbx).toEqual(byPbx);
    // Rules without byPbx get none.
    expect('byPbx' in toRules(fromRules(RULES))).toBe(false);
  });

  it('reads the fields in users\' words: thresholds, ring times and the kind of target', () => {
    const f = fromRules(RULES);
    expect(f).toMatchObject({ priorEnabled: false, windowDays: '45', useOwner: false, managerRingSeconds: '17', targetRingSeconds: '75', currency: 'EUR', deadlineMs: '450' });
    expect(f.tiers.map((t) => [t.name, t.minTurnover, t.target.kind])).toEqual([['small', '0', 'extension'], ['mid', '150000.5', 'group'], ['key-accounts', '2000000', 'queue']]);
    expect(f.defaultTarget).toEqual({ kind: 'group', extension: '', group: ['101', '199'], queue: '' });
  });

  it('switching a target\'s kind and back keeps what was typed; the rules get the chosen kind only', () => {
    const f = fromRules(RULES);
    f.defaultTarget = { ...f.defaultTarget, kind: 'queue', queue: ' sales ' };
    expect(toRules(f).defaultTarget).toEqual({ queue: 'sales' });
    f.defaultTarget = { ...f.defaultTarget, kind: 'group' };
    expect(toRules(f).defaultTarget).toEqual({ group: ['101', '199'] });
  });

  it('numbers as people type them; what is no number goes as typed, an empty field as null', () => {
    expect(typedNumber('1 000 000')).toBe(1_000_000);
    expect(typedNumber('1\u00a0000,50')).toBe(1000.5);
    expect(typedNumber(' 20 ')).toBe(20);
    expect(typedNumber('-5')).toBe(-5);
    expect(typedNumber('20s')).toBe('20s');
    expect(typedNumber('1e3')).toBe('1e3');
    expect(typedNumber('')).toBeNull();
    const f = { ...fromRules(RULES), managerRingSeconds: 'twenty' };
    expect(checkRules(toRules(f)).problems).toMatchObject([{ path: 'managerRingSeconds', code: 'type' }]);
  });

  it('adds a tier above the last with a fresh name, removes and reorders tiers', () => {
    const f = addTier(fromRules(RULES));
    expect(f.tiers.map((t) => [t.name, t.minTurnover])).toEqual([['small', '0'], ['mid', '150000.5'], ['key-accounts', '2000000'], ['tier4', '20000000']]);
    expect(addTier(fromRules({ ...RULES, tiers: [] })).tiers.map((t) => [t.name, t.minTurnover])).toEqual([['tier1', '0']]);
    const up = moveTier(f, 3, -1);
    expect(up.tiers.map((t) => t.name)).toEqual(['small', 'mid', 'tier4', 'key-accounts']);
    expect(moveTier(up, 0, -1)).toBe(up);
    expect(moveTier(up, 3, 1)).toBe(up);
    expect(removeTier(up, 0).tiers.map((t) => t.name)).toEqual(['mid', 'tier4', 'key-accounts']);
    expect(new Set(f.tiers.map((t) => t.key)).size).toBe(4);
  });

  it('a problem follows its tier when tiers moved since the check, and goes with a removed tier', () => {
    const f = fromRules(RULES);
    const keys = f.tiers.map((t) => t.key);
    const problems = [
      { path: 'tiers.2.minTurnover', code: 'threshold_order', severity: 'error' as const, message: '' },
      { path: 'tiers.0.target.extension', code: 'format', severity: 'error' as const, message: '' },
      { path: 'managerRingSeconds', code: 'too_big', severity: 'error' as const, message: '' },
    ];
    const moved = removeTier(moveTier(f, 2, -1), 0);
    expect(problemsFor(problems, keys, moved).map((p) => p.path)).toEqual(['tiers.0.minTurnover', 'managerRingSeconds']);
  });

  it('knows which paths it has a field for', () => {
    const paths = formPaths(fromRules(RULES));
    for (const p of ['priorManager.windowDays', 'tiers.1.target.group.1', 'tiers.2.target.queue', 'defaultTarget.group.1', 'deadlineMs', 'tiers']) expect(paths.has(p), p).toBe(true);
    expect(paths.has('colour')).toBe(false);
    expect(paths.has('tiers.3.name')).toBe(false);
  });

  it('JSON the service refuses still fills the form as typed, keeping what it leaves out and keys it has no field for', () => {
    const base = fromRules(RULES);
    const json = {
      managerRingSeconds: 500, targetRingSeconds: 'soon', priorManager: { enabled: true },
      tiers: [{ name: 'Small', minTurnover: 0, target: { extension: '1' } }, { name: 'x', minTurnover: -1, target: { group: ['101'] } }],
      defaultTarget: { queue: 'bad queue!' }, colour: 'red',
    };
    const f = formFromJson(json, base)!;
    expect(f).toMatchObject({ managerRingSeconds: '500', targetRingSeconds: 'soon', priorEnabled: true, windowDays: '45', useOwner: false, currency: 'EUR', deadlineMs: '450', extra: { colour: 'red' } });
    expect(f.tiers.map((t) => [t.key, t.name, t.minTurnover, t.target.kind])).toEqual([[base.tiers[0]!.key, 'Small', '0', 'extension'], [base.tiers[1]!.key, 'x', '-1', 'group']]);
    expect(f.defaultTarget).toMatchObject({ kind: 'queue', queue: 'bad queue!' });
    // Back to JSON, the service finds the same problems at the same fields (the unknown key too).
    const paths = (input: unknown) => checkRules(input).problems.map((p) => p.path);
    expect(paths(toRules(f))).toEqual(paths({ ...toRules(base), ...json }));
    expect(paths(toRules(f))).toContain('colour');
    expect(formFromJson([1, 2], base)).toBeNull();
    expect(formFromJson('x', base)).toBeNull();
  });
});
