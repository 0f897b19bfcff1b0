// Reconciliation with Asterisk's CDR on a fresh SQLite: CDR rows recorded from the sandbox Asterisk.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type DbHandle } from '../../src/db/client.js';
import { CallStore } from '../../src/calls/store.js';
import { Reconciler } from '../../src/calls/reconcile.js';
import { findRecording } from '../../src/calls/recording.js';
import type { CallRecord } from '../../src/calls/model.js';
import { cdrFixtureText } from '../support/ami-fixture.js';
import { wav } from '../support/wav.js';

const isExt = (r: string) => /^[0-9]{2,5}$/.test(r);

const linkedIdOf = (cdr: string) => JSON.parse(`[${cdr.split('\n')[0]}]`)[0] as string;
const endOf = (cdr: string) => Math.max(...cdr.trim().split('\n').map((l) => Number(JSON.parse(`[${l}]`)[10]) * 1000));

describe('reconciliation with the CDR', () => {
  let dir: string;
  let h: DbHandle;
  let store: CallStore;
  let cdrFile: string;
  let recordingsDir: string;
  let live = new Set<string>();
  // The fixtures were recorded on one day: a window of ~100 years keeps this test true whenever it runs.
  const reconciler = (clock?: () => number) => new Reconciler({
    db: h.db, store, cdrFile, isExtension: isExt, region: 'RU', windowDays: 36_500, isLive: (l) => live.has(l), clock,
    findRecording: (ids) => findRecording(recordingsDir, ids), log: pino({ level: 'silent' }),
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cti-rec-'));
    h = openDb(join(dir, 'cti.sqlite'));
    store = new CallStore(h.db);
    cdrFile = join(dir, 'cti.csv');
    recordingsDir = join(dir, 'recordings');
    mkdirSync(recordingsDir);
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

  it('a call rebuilt from the CDR alone finds its recording by its linkedid, as the dialplan names it', async () => {
    const cdr = cdrFixtureText('inbound-answered');
    const file = join(recordingsDir, `${linkedIdOf(cdr)}.wav`);
    writeFileSync(file, wav(4));
    writeFileSync(cdrFile, cdr);
    expect(await reconciler().run()).toMatchObject({ added: 1 });
    expect(h.db.query.calls.findFirst().sync()).toMatchObject({ source: 'cdr', recordingFile: file });
    expect(await reconciler().run({ fromStart: true })).toMatchObject({ completed: 0, unchanged: 1 });
  });

  it('a recording that shows up after the CDR row is filled in by a later pass', async () => {
    const cdr = cdrFixtureText('inbound-answered');
    const file = join(recordingsDir, `${linkedIdOf(cdr)}.wav`);
    writeFileSync(cdrFile, cdr);
    // A minute after the call: the CDR row is there, MixMonitor's file not yet.
    const clock = () => endOf(cdr) + 60_000;
    expect(await reconciler(clock).run()).toMatchObject({ added: 1, recordings: 0 });
    expect(h.db.query.calls.findFirst().sync()?.recordingFile).toBeNull();
    writeFileSync(file, wav(4));
    // The CDR rows are not read again (no new lines past the saved offset's overlap would do either way).
    writeFileSync(cdrFile, '');
    expect(await reconciler(clock).run()).toMatchObject({ recordings: 1 });
    expect(h.db.query.calls.findFirst().sync()).toMatchObject({ source: 'cdr', recordingFile: file });
  });

  it('a recording once stored is never replaced by null: a later save without one, then the CDR completing the call', async () => {
    const cdr = cdrFixtureText('inbound-answered');
    const linkedId = linkedIdOf(cdr);
    const seen: CallRecord = {
      linkedId, mergedLinkedIds: [], state: 'live', source: 'ami', needsCdr: true, direction: 'inbound', origin: null,
      externalNumber: '+79161234567', contactId: null, clientId: null, routedBy: null, extension: '101', startedAt: 1, answeredAt: 2, endedAt: null, ringMs: 1, talkMs: 0,
      disposition: null, hangupCause: null, recordingFile: '/var/spool/asterisk/monitor/cti/x.wav', legs: [],
    };
    store.save('seen', seen);
    // What the service adopting the call after a restart wrote at its end: everything but the recording.
    store.save('seen', { ...seen, state: 'ended', endedAt: 5000, recordingFile: null });
    expect(h.db.query.calls.findFirst().sync()).toMatchObject({ state: 'ended', recordingFile: '/var/spool/asterisk/monitor/cti/x.wav' });
    writeFileSync(cdrFile, cdr);
    expect(await reconciler().run()).toMatchObject({ completed: 1 });
    expect(h.db.query.calls.findFirst().sync()).toMatchObject({ source: 'ami+cdr', recordingFile: '/var/spool/asterisk/monitor/cti/x.wav' });
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
