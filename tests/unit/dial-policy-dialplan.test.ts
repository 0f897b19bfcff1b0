// The dial policy rendered as dialplan (src/calls/dial-policy-dialplan.ts) says what click-to-call's
// checkDestination says. The rendered [cti-dial-policy] is run here by a tiny reading of its own lines
// (the normalisation ExecIfs and the REGEX GotoIfs, in order), with JavaScript's RegExp standing in for
// POSIX ERE on these patterns (digits, classes, groups, alternation, counted repeats); the sandbox
// integration test (tests/integration/dial-policy.test.ts) runs the same file in Asterisk.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { checkDestination, dialPolicyOf, type DialPolicy } from '../../src/calls/dial-policy.js';
import { renderDialplanPolicy, toPosix } from '../../src/calls/dial-policy-dialplan.js';
import { loadBaseConfig } from '../../src/config/config.js';
import { parsePhone } from '../../src/lib/phone.js';
import { PROJECT_ROOT } from '../support/sandbox.js';

const policy = (env: Record<string, string> = {}) => dialPolicyOf(loadBaseConfig(env));

/** Runs the rendered routine's destination part on a dialled string: { e164 digits, verdict }. */
function runDialplan(text: string, dialled: string): { e164: string; verdict: string } {
  const n = dialled.replace(/[^+0-9]/g, '');
  let e = '';
  let verdict = '';
  const sub = (s: string, vars: Record<string, string>) => s.replace(/\$\{(\w+)(?::(\d+)(?::(\d+))?)?\}/g, (_m, v: string, off?: string, len?: string) => {
    const val = vars[v] ?? '';
    return off === undefined ? val : val.substr(Number(off), len === undefined ? undefined : Number(len));
  });
  for (const line of text.split('\n')) {
    const vars = { n, e };
    let m = /ExecIf\(\$\["\$\{e\}"="" & "\$\{n:0:(\d+)\}"="(\d+)"\]\?Set\(LOCAL\(e\)=(.*)\)\)$/.exec(line);
    if (m) { if (e === '' && n.slice(0, Number(m[1])) === m[2]) e = sub(m[3]!, vars); continue; }
    m = /ExecIf\(\$\["\$\{n:0:1\}"="\+"\]\?Set\(LOCAL\(e\)=(.*)\)\)$/.exec(line);
    if (m) { if (n.startsWith('+')) e = sub(m[1]!, vars); continue; }
    m = /ExecIf\(\$\["\$\{e\}"="" & \$\{REGEX\("(.*)" \$\{n\}\)\}\]\?Set\(LOCAL\(e\)=(.*)\)\)$/.exec(line);
    if (m) { if (e === '' && new RegExp(m[1]!).test(n)) e = sub(m[2]!, vars); continue; }
    if (/ExecIf\(\$\["\$\{e\}"=""\]\?Set\(LOCAL\(e\)=\$\{n\}\)\)$/.test(line)) { if (e === '') e = n; continue; }
    m = /Set\(CTI_DIAL_VERDICT=(\w+)\)$/.exec(line);
    if (m) { verdict = m[1]!; continue; }
    m = /GotoIf\(\$\{REGEX\("(.*)" \$\{e\}\)\}\?(\w+)\)$/.exec(line);
    if (m && new RegExp(m[1]!).test(e)) return { e164: e, verdict: m[2] === 'region' ? 'region' : verdict };
    if (/Goto\((done|limits)\)$/.test(line)) return { e164: e, verdict };
  }
  throw new Error('the routine ended without a verdict');
}

const NUMBERS = [
  '+79161234567', '89161234567', '9161234567', '79161234567', '0079161234567', '81079161234567', '8 (495) 123-45-67',
  '88001234567', '+78091234567', '88031234567', '+77011234567', '87011234567', '+375291234567', '+3759021234567',
  '+19005551234', '+12025550123', '+979123456789', '+882161234567', '+883510012345', '+881612345678', '+870773111632',
  '+80012345678', '+80812345678', '+448712345678', '+447911123456', '+74991234567', '+74951234567', '+78121234567',
];

function expectAgreement(p: DialPolicy, region = p.home) {
  const text = renderDialplanPolicy(p);
  for (const raw of NUMBERS) {
    const e164 = parsePhone(raw, region)?.e164;
    if (!e164) continue;
    const service = checkDestination(p, e164);
    const pbx = runDialplan(text, raw);
    expect(`+${pbx.e164}`, `${raw}: the E.164 the dialplan reads`).toBe(e164);
    // The dialplan holds the premium ranges of the countries it may call only: elsewhere it says region.
    const country = parsePhoneNumberFromString(e164)?.country;
    const reachable = !country || p.allowAny || p.allowRegions.includes(country) || p.allowPrefixes.some((x) => e164.startsWith(x));
    const expected = service.allowed ? ['allow'] : service.reason === 'premium' && !reachable ? ['premium', 'region'] : [service.reason];
    expect(expected, `${raw} (${e164}): the dialplan says ${pbx.verdict}`).toContain(pbx.verdict);
  }
}

describe('the dial policy as dialplan', () => {
  it('the shipped defaults (Russia only): same verdict as click-to-call for every form of every number', () => {
    expectAgreement(policy());
  });

  it('regions, prefixes, a deny list', () => {
    expectAgreement(policy({ CTI_DIAL_ALLOW: 'RU,KZ,+375,+800', CTI_DIAL_DENY: '+7495,+7812' }));
  });

  it('another home country (Kazakhstan)', () => {
    expectAgreement(policy({ CTI_DEFAULT_REGION: 'KZ' }));
  });

  it('limits: GROUP_COUNT at once, an AstDB count per minute, as configured; 0 leaves them out', () => {
    const text = renderDialplanPolicy(policy({ CTI_DIAL_MAX_CONCURRENT: '3', CTI_DIAL_RATE_PER_MINUTE: '7' }));
    expect(text).toContain('GotoIf($[${GROUP_COUNT(${who}@cti-dial)} > 3]?done)');
    expect(text).toContain('GotoIf($[${count} > 7]?done)');
    const none = renderDialplanPolicy(policy({ CTI_DIAL_MAX_CONCURRENT: '0', CTI_DIAL_RATE_PER_MINUTE: '0' }));
    expect(none).not.toContain('GROUP_COUNT');
    expect(none).not.toContain('cti-dial-rate');
  });

  it('patterns become POSIX ERE, and one it cannot carry is refused rather than rendered wrong', () => {
    expect(toPosix('8(?:0[04]|108\\d{3})\\d{7}')).toBe('8(0[04]|108[0-9]{3})[0-9]{7}');
    expect(() => toPosix('(?=9)\\d+')).toThrow(/cannot render/);
  });

  it('dialplan/extensions_cti_policy.conf is the rendering of the defaults (render it again when they change)', () => {
    const shipped = readFileSync(join(PROJECT_ROOT, 'dialplan/extensions_cti_policy.conf'), 'utf8');
    expect(shipped).toBe(renderDialplanPolicy(policy()));
  });
});
