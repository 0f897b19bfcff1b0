// Finding a call's recording by the dialplan's naming rule (<recordings dir>/<linkedid>.wav), safely.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findRecording, localRecordingPath } from '../../src/calls/recording.js';

describe('findRecording', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cti-find-rec-'));
    dir = join(root, 'monitor');
    mkdirSync(dir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("finds <linkedid>.wav in the dir, for the call's linkedid or one a transfer merged into it", () => {
    writeFileSync(join(dir, '1795330129.17.wav'), 'x');
    writeFileSync(join(dir, '5de4d697-47de-48fd-ac56-6a8546e5c370.wav'), 'x');
    expect(findRecording(dir, ['5de4d697-47de-48fd-ac56-6a8546e5c370'])).toBe(join(dir, '5de4d697-47de-48fd-ac56-6a8546e5c370.wav'));
    expect(findRecording(dir, ['pbx1-1795330129.20', '1795330129.17'])).toBe(join(dir, '1795330129.17.wav'));
    expect(findRecording(dir, ['1795330129.18'])).toBeNull();
    expect(findRecording(join(root, 'nowhere'), ['1795330129.17'])).toBeNull();
  });

  it('never leaves the dir: a linkedid that is not a plain file name, or a symlink, is not a recording', () => {
    writeFileSync(join(root, 'secret.wav'), 'x');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'a.wav'), 'x');
    for (const id of ['../secret', '..', '../monitor/../secret', '/etc/passwd', 'sub/a', 'sub\\a', '', '.hidden', 'a\0b', `${'1'.repeat(200)}`]) {
      expect(findRecording(dir, [id]), JSON.stringify(id)).toBeNull();
    }
    symlinkSync(join(root, 'secret.wav'), join(dir, 'link.wav'));
    expect(findRecording(dir, ['link'])).toBeNull();
    mkdirSync(join(dir, 'adir.wav'));
    expect(findRecording(dir, ['adir'])).toBeNull();
  });
});

describe('localRecordingPath', () => {
  const here = '/srv/cti/monitor';

  it('keeps the dated folders below the PBX\'s recordings dir (FreePBX), the file name alone without it', () => {
    const freepbx = '/var/spool/asterisk/monitor/2026/12/01/in-8005550101-79161234567-20261201-101500-1796131200.12.wav';
    expect(localRecordingPath(here, freepbx, '/var/spool/asterisk/monitor'))
      .toBe('/srv/cti/monitor/2026/12/01/in-8005550101-79161234567-20261201-101500-1796131200.12.wav');
    expect(localRecordingPath(here, freepbx, '/var/spool/asterisk/monitor/')).toBe(join(here, '2026/12/01', basename(freepbx)));
    expect(localRecordingPath(here, freepbx)).toBe(join(here, basename(freepbx)));
    expect(localRecordingPath(here, '/var/spool/asterisk/monitor/cti/1796131200.12.wav')).toBe(join(here, '1796131200.12.wav'));
    // FreePBX gives MixMonitor a name relative to Asterisk's monitor directory.
    expect(localRecordingPath(here, '2026/12/01/out-89161234567-101-20261201-101500-1796131200.14.wav'))
      .toBe('/srv/cti/monitor/2026/12/01/out-89161234567-101-20261201-101500-1796131200.14.wav');
  });

  it('never leaves its own dir, whatever the path says (a FreePBX file name carries the caller\'s number)', () => {
    const pbx = '/var/spool/asterisk/monitor';
    // Absolute paths are resolved first: whatever they name, the result is inside the dir.
    for (const p of [
      '/var/spool/asterisk/monitor/../../../../etc/passwd',
      '/var/spool/asterisk/monitor/2026/../../x/../../../etc/shadow',
      '/etc/passwd',
      '/var/spool/asterisk/monitor-other/a.wav',
      '/var/spool/asterisk/monitor/2026/12/01/in-1-../../x.wav',
    ]) {
      const file = localRecordingPath(here, p, pbx);
      expect(file?.startsWith(`${here}/`), `${JSON.stringify(p)} -> ${file}`).toBe(true);
    }
    expect(localRecordingPath(here, '/etc/passwd', pbx)).toBe(join(here, 'passwd'));
    // A relative name (MixMonitor's own, as the event log gives it) with a step up, a "." or an empty
    // step, a NUL, or nothing at all is no recording of ours.
    for (const p of ['../../etc/passwd', '2026/../../../etc/passwd', '2026/12/../x.wav', './2026/x.wav', '2026//x.wav', 'a\0/b.wav', '/var/spool/asterisk/monitor/a\0b.wav', '', '/var/spool/asterisk/monitor']) {
      expect(localRecordingPath(here, p, pbx), JSON.stringify(p)).toBeNull();
    }
  });
});
