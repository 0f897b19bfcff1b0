// Several PBXs, the pure parts: which rules a call on a PBX and DID gets (src/routing/rules.ts rulesFor),
// and how CTI_PBXS_FILE is read and refused (src/pbx/pbxes.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServiceConfig, ConfigError } from '../../src/config/config.js';
import { loadPbxes } from '../../src/pbx/pbxes.js';
import { decide } from '../../src/routing/decide.js';
import { checkRules, parseRules, rulesFor } from '../../src/routing/rules.js';

const rules = parseRules({
  tiers: [{ name: 'retail', minTurnover: 0, target: { extension: '103' } }],
  defaultTarget: { extension: '101' },
  byPbx: {
    kzn: { defaultTarget: { group: ['201', '202'] }, tiers: [], dids: { '78432000000': { queue: 'kzn-sales' }, '+78432000001': { extension: '205' } } },
  },
});
const noClient = { client: null, priorManagerExtension: null, ownerExtension: null };

describe('routing rules per PBX and DID', () => {
  it("a PBX without its own rules has the deployment's; kzn its default, its tiers, its DIDs", () => {
    expect(rulesFor(rules, 'main', '78432000000')).toEqual({ rules, didRule: false });
    const kznDefault = rulesFor(rules, 'kzn', '78430000000');
    expect(kznDefault.didRule).toBe(false);
    expect(decide(kznDefault.rules, noClient).then.dial).toBe('PJSIP/201&PJSIP/202');
    // kzn has no tiers: a retail client rings kzn's default, not main's 103.
    expect(decide(kznDefault.rules, { ...noClient, client: { id: 'c', turnover: 5, currency: 'RUB' } }).then).toMatchObject({ dial: 'PJSIP/201&PJSIP/202', routedBy: 'default' });
    const did = rulesFor(rules, 'kzn', '78432000000');
    expect(did.didRule).toBe(true);
    expect(decide(did.rules, noClient).then.dial).toBe('Local/kzn-sales@cti-queue/n');
    expect(decide(rulesFor(rules, 'kzn', '+78432000001').rules, noClient).then.dial).toBe('PJSIP/205');
    // The dialplan gives digits (CTI_DID): a rule written with a + matches them.
    expect(decide(rulesFor(rules, 'kzn', '78432000001').rules, noClient).then.dial).toBe('PJSIP/205');
  });

  it('a DID from the trunk is only a key: an odd one matches nothing (no prototype keys either)', () => {
    for (const odd of ['', '__proto__', 'constructor', '78432000000,PJSIP/999', '78432000000\n']) {
      expect(rulesFor(rules, 'kzn', odd).didRule, JSON.stringify(odd)).toBe(false);
    }
  });

  it('checks byPbx like the rest: bad DIDs, bad PBX ids, tier ladders; unknown extensions per PBX are warnings', () => {
    expect(checkRules({ defaultTarget: { extension: '101' }, byPbx: { KZN: {} } }).problems[0]).toMatchObject({ path: 'byPbx.KZN', severity: 'error' });
    expect(checkRules({ defaultTarget: { extension: '101' }, byPbx: { kzn: { dids: { 'x1': { extension: '101' } } } } }).problems[0]).toMatchObject({ path: 'byPbx.kzn.dids.x1', severity: 'error' });
    const ladder = checkRules({ defaultTarget: { extension: '101' }, byPbx: { kzn: { tiers: [{ name: 'a', minTurnover: 5, target: { extension: '201' } }, { name: 'b', minTurnover: 5, target: { extension: '202' } }] } } });
    expect(ladder.problems).toEqual([expect.objectContaining({ path: 'byPbx.kzn.tiers.1.minTurnover', code: 'threshold_order' })]);
    const phones = (pbx: string | null) => new Set(pbx === 'kzn' ? ['201', '202'] : ['101', '103', '201', '202']);
    const w = checkRules({ defaultTarget: { extension: '101' }, byPbx: { kzn: { defaultTarget: { group: ['201', '101'] } } } }, phones);
    // 101 is a phone on main, not on kzn.
    expect(w.problems).toEqual([expect.objectContaining({ path: 'byPbx.kzn.defaultTarget.group.1', code: 'unknown_extension', severity: 'warning' })]);
  });
});

describe('CTI_PBXS_FILE', () => {
  const base = { CTI_AMI_USER: 'cti', CTI_AMI_SECRET: 'x', CTI_PBX_NAME: 'Москва' };
  const withFile = (entries: unknown) => {
    const f = join(mkdtempSync(join(tmpdir(), 'cti-pbxs-')), 'pbxes.json');
    writeFileSync(f, JSON.stringify(entries));
    return loadServiceConfig({ ...base, CTI_PBXS_FILE: f });
  };
  const kzn = { id: 'kzn', name: 'Казань', ami: { host: '10.0.0.5', user: 'cti', secretEnv: 'KZN_AMI' }, ari: { url: 'http://10.0.0.5:8088', user: 'cti', passwordEnv: 'KZN_ARI' }, cel: { file: '/var/log/kzn.csv' }, recordings: { dir: '/srv/kzn' } };

  it('unset: the one PBX of CTI_AMI_*, id main', () => {
    expect(loadPbxes(loadServiceConfig(base), {}).map((p) => [p.id, p.name, p.ami.port])).toEqual([['main', 'Москва', 5038]]);
  });

  it('reads each PBX with its secrets from the environment, main first', () => {
    const [main, k] = loadPbxes(withFile([kzn]), { KZN_AMI: 'a-secret', KZN_ARI: 'b-secret' });
    expect(main!.id).toBe('main');
    expect(k).toMatchObject({ id: 'kzn', name: 'Казань', ami: { host: '10.0.0.5', port: 5038, secret: 'a-secret' }, ari: { password: 'b-secret', app: 'cti' }, celFile: '/var/log/kzn.csv', recordingsDir: '/srv/kzn' });
  });

  it('refuses naming the PBX and the field: a missing secret, a duplicate or reserved id, a secret written in the file', () => {
    const problems = (entries: unknown, env: Record<string, string> = {}) => {
      try {
        loadPbxes(withFile(entries), env);
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).problems;
      }
    };
    expect(problems([kzn], { KZN_AMI: 'a' })).toEqual(['CTI_PBXS_FILE: PBX kzn: ari.passwordEnv: KZN_ARI is not set']);
    expect(problems([kzn, kzn], { KZN_AMI: 'a', KZN_ARI: 'b' })[0]).toBe('CTI_PBXS_FILE: PBX kzn: the id is taken');
    expect(problems([{ ...kzn, id: 'main' }], { KZN_AMI: 'a', KZN_ARI: 'b' })[0]).toContain('the id is taken (main is the PBX of CTI_AMI_*)');
    expect(problems([{ ...kzn, ami: { ...kzn.ami, secret: 'plain' } }])[0]).toMatch(/^CTI_PBXS_FILE: PBX kzn: ami: /);
    // main's recordings and CEL file are the defaults: a second PBX on the same ones would read main's calls.
    expect(problems([{ ...kzn, cel: { file: '/var/log/asterisk/cel-custom/cti.csv' }, recordings: { dir: '/var/spool/asterisk/monitor' } }], { KZN_AMI: 'a', KZN_ARI: 'b' }))
      .toEqual(["CTI_PBXS_FILE: PBX kzn: recordings: the same as PBX main's; each PBX needs its own", "CTI_PBXS_FILE: PBX kzn: cel: the same as PBX main's; each PBX needs its own"]);
  });
});
