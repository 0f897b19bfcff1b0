// Reconciliation with Asterisk's CDR on a fresh SQLite: CDR rows recorded from the sandbox Asterisk.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type DbHandle } from '../../src/db/client.js';
import { CallStore } from '../../src/calls/store.js';
import { Reconciler } from '../../src/calls/reconcile.js';
import { cdrFixtureText } from '../support/ami-fixture.js';

const isExt = (r: string) => /^[0-9]{2,5}$/.test(r);

describe('reconciliation with the CDR', () => {
  let dir: string;
  let h: DbHandle;
  let store: CallStore;
  let cdrFile: string;
  let live = new Set<string>();
  // The fixtures were recorded on one day: a window of ~100 years keeps this test true whenever it runs.
  const reconciler = () => new Reconciler({ db: h.db, store, cdrFile, isExtension: isExt, region: 'RU', windowDays: 36_500, isLive: (l) => live.has(l), log: pino({ level: 'silent' }) });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cti-rec-'));
    h = openDb(join(dir, 'cti.sqlite'));
    store = new CallStore(h.db);
    cdrFile = join(dir, 'cti.csv');
    live = new Set();
  });
  afterEach(() => {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds the calls it never saw, and a second pass changes nothing', async () => {
    writeFileSync(cdrFile, ['inbound-answered', 'inbound-busy', 'internal'].map((s) => cdrFixtureText(s)).join(''));
    const first = await reconciler().run();
    expect(first).toMatchObject({ added: 3, completed: 0, badLines: 0 });
    const rows = h.db.query.calls.findMany().sync();
    expect(rows.map((r) => [r.direction, r.disposition, r.extension, r.source]).sort()).toEqual([
      ['inbound', 'answered', '101', 'cdr'], ['inbound', 'busy', '199', 'cdr'], ['internal', 'answered', '102', 'cdr'],
    ]);
    const again = await reconciler().run({ fromStart: true });
    expect(again).toMatchObject({ added: 0, completed: 0, unchanged: 3 });
    expect(h.db.query.calls.findMany().sync()).toEqual(rows);
  });

  it('completes a call it saw in part, keeping what only it knew', async () => {
    const cdr = cdrFixtureText('inbound-answered');
    const linkedId = JSON.parse(`[${cdr.split('\n')[0]}]`)[0] as string;
    store.save('seen', {
      linkedId, mergedLinkedIds: [], state: 'live', source: 'ami', needsCdr: false, direction: 'inbound', origin: null,
      externalNumber: '+79161234567', contactId: null, clientId: null, routedBy: null, extension: '101', startedAt: 1, answeredAt: 2, endedAt: null, ringMs: 1, talkMs: 0,
      disposition: null, hangupCause: null, recordingFile: '/rec/x.wav', legs: [],
    });
    writeFileSync(cdrFile, cdr);
    expect(await reconciler().run()).toMatchObject({ added: 0, completed: 1 });
    const row = h.db.query.calls.findFirst().sync()!;
    expect(row).toMatchObject({ id: 'seen', state: 'ended', source: 'ami+cdr', disposition: 'answered', externalNumber: '+79161234567', recordingFile: '/rec/x.wav', needsCdr: false });
    expect(Math.round(row.talkMs / 1000)).toBe(4);
    expect(await reconciler().run({ fromStart: true })).toMatchObject({ completed: 0, unchanged: 1 });
  });

  it('leaves calls the live tracker follows alone', async () => {
    writeFileSync(cdrFile, cdrFixtureText('inbound-answered'));
    const linkedId = JSON.parse(`[${readFileSync(cdrFile, 'utf8').split('\n')[0]}]`)[0] as string;
    live.add(linkedId);
    expect(await reconciler().run()).toMatchObject({ added: 0 });
  });

  it('skips broken lines, reads only new lines next time, and starts over after a rotation', async () => {
    writeFileSync(cdrFile, `${cdrFixtureText('inbound-busy')}this is not a CDR line\n"unterminated\n`);
    expect(await reconciler().run()).toMatchObject({ added: 1, badLines: 2 });
    appendFileSync(cdrFile, cdrFixtureText('internal'));
    expect(await reconciler().run()).toMatchObject({ added: 1 });
    // Rotated: a new, shorter file.
    writeFileSync(cdrFile, cdrFixtureText('outbound'));
    expect(await reconciler().run()).toMatchObject({ added: 1 });
    expect(h.db.query.calls.findMany().sync()).toHaveLength(3);
  });

  it('does not import calls older than its window (a first start on a PBX with years of CDR)', async () => {
    writeFileSync(cdrFile, cdrFixtureText('inbound-answered'));
    const end = Math.max(...readFileSync(cdrFile, 'utf8').trim().split('\n').map((l) => Number(JSON.parse(`[${l}]`)[10]) * 1000));
    const late = new Reconciler({ db: h.db, store, cdrFile, isExtension: isExt, region: 'RU', windowDays: 30, clock: () => end + 31 * 86_400_000, isLive: () => false, log: pino({ level: 'silent' }) });
    expect(await late.run()).toMatchObject({ added: 0 });
    const inTime = new Reconciler({ db: h.db, store, cdrFile, isExtension: isExt, region: 'RU', windowDays: 30, clock: () => end + 29 * 86_400_000, isLive: () => false, log: pino({ level: 'silent' }) });
    expect(await inTime.run({ fromStart: true })).toMatchObject({ added: 1 });
  });

  it('a missing CDR file is a warning, not a crash', async () => {
    expect(await reconciler().run()).toMatchObject({ added: 0, completed: 0 });
  });
});
