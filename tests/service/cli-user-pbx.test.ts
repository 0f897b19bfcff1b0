// `cti user add --pbx <id>` takes only a PBX of the deployment (main, or one of CTI_PBXS_FILE's), as the
// API does: a user put on a PBX that is not there would ring nowhere and match no call.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('cti user add --pbx', () => {
  let dir: string;
  let pbxesFile: string;
  const cti = (env: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/cti.js'), ...args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, CTI_DB_FILE: join(dir, 'cti.sqlite'), CTI_PBXS_FILE: '', CTI_LOG_LEVEL: 'silent', ...env },
  });

  // bin/cti.js runs the built CLI: tests/support/build-service.ts (the tier's globalSetup) builds it first.
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cti-user-pbx-'));
    pbxesFile = join(dir, 'pbxes.json');
    // Its secrets are named, not set here: checking an id needs none of them.
    writeFileSync(pbxesFile, JSON.stringify([{
      id: 'kzn', name: 'Казань', ami: { host: '127.0.0.1', port: 5038, user: 'cti', secretEnv: 'CTI_KZN_AMI_SECRET' },
      cel: { file: join(dir, 'kzn-cel.csv') }, recordings: { dir: join(dir, 'kzn-rec') },
    }]));
    expect(cti({}, 'migrate').status).toBe(0);
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('an unknown PBX is refused naming the known ones, and no user is made; a known one is taken', () => {
    const none = cti({}, 'user', 'add', 'olga', '--role', 'manager', '--pbx', 'kzn', '--extension', '101');
    expect(none.status, none.stderr).toBe(2);
    expect(none.stderr).toContain("--pbx: no PBX 'kzn' here (main; more PBXs come from CTI_PBXS_FILE)");

    const spb = cti({ CTI_PBXS_FILE: pbxesFile }, 'user', 'add', 'olga', '--role', 'manager', '--pbx', 'spb', '--extension', '101');
    expect(spb.status, spb.stderr).toBe(2);
    expect(spb.stderr).toContain("--pbx: no PBX 'spb' here (main, kzn)");

    const kzn = cti({ CTI_PBXS_FILE: pbxesFile }, 'user', 'add', 'olga', '--role', 'manager', '--pbx', 'kzn', '--extension', '101');
    expect(kzn.status, kzn.stderr).toBe(0);
    expect(kzn.stdout).toContain('user olga added (manager, extension 101 on PBX kzn)');
    // The same extension on main is another phone; olga's name was free until now (the refusals made nobody).
    const main = cti({}, 'user', 'add', 'anna', '--role', 'manager', '--extension', '101');
    expect(main.status, main.stderr).toBe(0);
    expect(main.stdout).toContain('user anna added (manager, extension 101)');
    const again = cti({ CTI_PBXS_FILE: pbxesFile }, 'user', 'add', 'olga', '--role', 'manager', '--pbx', 'kzn');
    expect(again.status).not.toBe(0);
  });

  it('a broken CTI_PBXS_FILE is named, not a stack trace', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '[{"id": "Kzn!"}]');
    const r = cti({ CTI_PBXS_FILE: broken }, 'user', 'add', 'vera', '--role', 'manager', '--pbx', 'kzn');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('cti: invalid configuration');
    expect(r.stderr).toMatch(/CTI_PBXS_FILE: PBX Kzn!: id: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
