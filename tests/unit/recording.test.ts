// Finding a call's recording by the dialplan's naming rule (<recordings dir>/<linkedid>.wav), safely.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findRecording } from '../../src/calls/recording.js';

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
