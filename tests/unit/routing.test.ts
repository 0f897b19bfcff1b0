import { describe, expect, it } from 'vitest';
import { decide, dialString, fallbackDecision, type CallerFacts } from '../../src/routing/decide.js';
import { encodeRoute } from '../../src/pbx/stasis.js';
import { checkRules, parseRules } from '../../src/routing/rules.js';

const rules = parseRules({
  managerRingSeconds: 15,
  targetRingSeconds: 40,
  currency: 'RUB',
  tiers: [
    { name: 'retail', minTurnover: 0, target: { extension: '103' } },
    { name: 'wholesale', minTurnover: 100_000, target: { group: ['102', '104'] } },
    { name: 'key', minTurnover: 1_000_000, target: { queue: 'key-accounts' } },
  ],
  defaultTarget: { extension: '101' },
});

const client = (turnover: number | null, currency: string | null = 'RUB'): CallerFacts['client'] => ({ id: 'c1', turnover, currency });

describe('routing decision', () => {
  it('rings the prior manager first, then the tier target', () => {
    const d = decide(rules, { client: client(2_000), priorManagerExtension: '105', ownerExtension: '106' });
    expect(d).toEqual({
      first: { dial: 'PJSIP/105', ringSeconds: 15, routedBy: 'prior_manager' },
      then: { dial: 'PJSIP/103', ringSeconds: 40, routedBy: 'turnover:retail' },
    });
  });

  it('rings the owner when there is no prior manager', () => {
    expect(decide(rules, { client: client(200_000), priorManagerExtension: null, ownerExtension: '106' }).first)
      .toEqual({ dial: 'PJSIP/106', ringSeconds: 15, routedBy: 'owner' });
  });

  it('picks the highest tier the turnover reaches; thresholds are inclusive', () => {
    const at = (t: number) => decide(rules, { client: client(t), priorManagerExtension: null, ownerExtension: null }).then;
    expect(at(99_999.99)).toMatchObject({ routedBy: 'turnover:retail', dial: 'PJSIP/103' });
    expect(at(100_000)).toMatchObject({ routedBy: 'turnover:wholesale', dial: 'PJSIP/102&PJSIP/104' });
    expect(at(5_000_000)).toMatchObject({ routedBy: 'turnover:key', dial: 'Local/key-accounts@cti-queue/n' });
  });

  it('unknown callers, unknown turnover and foreign currencies go to the default (or the DID target)', () => {
    const none = { priorManagerExtension: null, ownerExtension: null };
    expect(decide(rules, { client: null, ...none })).toEqual({ first: null, then: { dial: 'PJSIP/101', ringSeconds: 40, routedBy: 'default' } });
    expect(decide(rules, { client: client(null), ...none }).then.routedBy).toBe('default');
    expect(decide(rules, { client: client(500_000, 'EUR'), ...none }).then.routedBy).toBe('default');
    expect(decide(rules, { client: null, ...none }, 'PJSIP/198').then.dial).toBe('PJSIP/198');
  });

  it('does not ring the same phone twice in a row', () => {
    const d = decide(rules, { client: client(10), priorManagerExtension: '103', ownerExtension: null });
    expect(d).toEqual({ first: null, then: { dial: 'PJSIP/103', ringSeconds: 40, routedBy: 'prior_manager' } });
  });

  it('the fallback rings the default target, or the DID target', () => {
    expect(fallbackDecision(rules).then).toEqual({ dial: 'PJSIP/101', ringSeconds: 40, routedBy: 'fallback' });
    expect(fallbackDecision(rules, 'PJSIP/102').then.dial).toBe('PJSIP/102');
  });

  it('encodes the decision the way the dialplan CUTs it', () => {
    expect(encodeRoute(decide(rules, { client: client(2_000), priorManagerExtension: '105', ownerExtension: null })))
      .toBe('PJSIP/105|15|prior_manager|PJSIP/103|40|turnover:retail');
    expect(encodeRoute(fallbackDecision(rules))).toBe('|||PJSIP/101|40|fallback');
    expect(dialString({ group: ['101', '102'] })).toBe('PJSIP/101&PJSIP/102');
  });
});

describe('routing rules', () => {
  it.each([
    [{ defaultTarget: { extension: 'abc' } }, 'defaultTarget'],
    [{ defaultTarget: { extension: '101' }, deadlineMs: 10 }, 'deadlineMs'],
    // Longer than the PBX's own wait for a decision (CTI_ROUTE_WAIT, 1.5 s) would be cut short there.
    [{ defaultTarget: { extension: '101' }, deadlineMs: 1500 }, 'deadlineMs'],
    [{ defaultTarget: { extension: '101' }, tiers: [{ name: 'a', minTurnover: -1, target: { extension: '101' } }] }, 'tiers.0.minTurnover'],
    [{ defaultTarget: { extension: '101' }, tiers: [{ name: 'a', minTurnover: 1, target: { extension: '101' } }, { name: 'a', minTurnover: 2, target: { extension: '102' } }] }, 'tiers.1.name'],
    [{ defaultTarget: { queue: 'bad queue!' } }, 'defaultTarget'],
    [{ defaultTarget: { extension: '101' }, colour: 'red' }, 'colour'],
    [{}, 'defaultTarget'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => parseRules(input)).toThrow(new RegExp(`^${field.replace(/\./g, '\\.')}`));
  });

  it('fills defaults', () => {
    expect(parseRules({ defaultTarget: { extension: '101' } })).toMatchObject({ deadlineMs: 300, managerRingSeconds: 20, priorManager: { enabled: true, windowDays: 90 } });
  });
});

describe('routing rules problems, each at its field', () => {
  const base = { defaultTarget: { extension: '101' } };
  const tier = (name: string, minTurnover: unknown, target: object = { extension: '101' }) => ({ name, minTurnover, target });
  const problems = (input: object) => checkRules(input).problems.map(({ path, code, severity, min, max }) => ({ path, code, severity, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) }));

  it('says every wrong field at once, with its bound', () => {
    expect(problems({ ...base, managerRingSeconds: 500, targetRingSeconds: 2, priorManager: { windowDays: 1.5 }, deadlineMs: 'soon', tiers: [tier('a', 0, { extension: '1' })] })).toEqual([
      { path: 'priorManager.windowDays', code: 'not_integer', severity: 'error' },
      { path: 'managerRingSeconds', code: 'too_big', severity: 'error', max: 120 },
      { path: 'targetRingSeconds', code: 'too_small', severity: 'error', min: 3 },
      { path: 'tiers.0.target.extension', code: 'format', severity: 'error' },
      { path: 'deadlineMs', code: 'type', severity: 'error' },
    ]);
  });

  it('tiers go from the lowest threshold to the highest, none twice, names once', () => {
    expect(problems({ ...base, tiers: [tier('a', 0), tier('b', 100_000), tier('c', 50_000), tier('b', 50_000)] })).toEqual([
      { path: 'tiers.2.minTurnover', code: 'threshold_order', severity: 'error', min: 100_000 },
      { path: 'tiers.3.name', code: 'duplicate_name', severity: 'error' },
      { path: 'tiers.3.minTurnover', code: 'threshold_order', severity: 'error', min: 50_000 },
    ]);
    expect(() => parseRules({ ...base, tiers: [tier('a', 10), tier('b', 10)] })).toThrow(/^tiers\.1\.minTurnover: the threshold must be above the previous tier's \(10\)/);
  });

  it('a missing target, a target of no known kind and an unknown key', () => {
    expect(problems({})).toEqual([{ path: 'defaultTarget', code: 'required', severity: 'error' }]);
    expect(problems({ defaultTarget: { phone: '101' }, colour: 'red' })).toEqual([
      { path: 'defaultTarget', code: 'target', severity: 'error' },
      { path: 'colour', code: 'unknown_key', severity: 'error' },
    ]);
  });

  it('an extension no user has is a warning at its path, and the rules are still good', () => {
    const r = checkRules({ defaultTarget: { group: ['101', '199'] }, tiers: [tier('a', 0, { extension: '105' }), tier('q', 5, { queue: 'sales' })] }, new Set(['101', '105']));
    expect(r.rules).not.toBeNull();
    expect(r.problems).toEqual([{ path: 'defaultTarget.group.1', code: 'unknown_extension', severity: 'warning', value: '199', message: expect.stringContaining('199') }]);
  });
});
