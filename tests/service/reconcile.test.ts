// Reconciliation with Asterisk's event log on a fresh SQLite: CEL files recorded from the sandbox Asterisk,
// replayed through the call interpreter.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type DbHandle } from '../../src/db/client.js';
import { calls } from '../../src/db/schema/index.js';
import { CallStore } from '../../src/calls/store.js';
import { Reconciler } from '../../src/calls/reconcile.js';
import { findRecording } from '../../src/calls/recording.js';
import type { CallRecord } from '../../src/calls/model.js';
import { splitCsvLine } from '../../src/pbx/dsv.js';
import { celFixtureText } from '../support/ami-fixture.js';
import { wav } from '../support/wav.js';

const isExt = (r: string) => /^[0-9]{2,5}$/.test(r);

// A CEL line's fields (dialplan/cel_custom_cti.conf): eventenum, eventtime, uniqueid, linkedid, ...
const linkedIdOf = (cel: string) => splitCsvLine(cel.split('\n')[0]!)![3]!;
const endOf = (cel: string) => Math.max(...cel.trim().split('\n').map((l) => Number(splitCsvLine(l)![1]) * 1000));
/** The call's records without MixMonitor's: a PBX that records by other means, the file found by its name. */
const withoutMixMonitor = (cel: string) => cel.split('\n').filter((l) => !l.includes('"MixMonitor"')).join('\n');

describe("reconciliation with Asterisk's event log (CEL)", () => {
  let dir: string;
  let h: DbHandle;
  let store: CallStore;
  let celFile: string;
  let recordingsDir: string;
  let live = new Set<string>();
  // The fixtures were recorded on one day: a window of ~100 years keeps this test true whenever it runs.
  const reconciler = (clock?: () => number) => new Reconciler({
    db: h.db, store, celFile, isExtension: isExt, region: 'RU', windowDays: 36_500, isLive: (l) => live.has(l), clock,
    findRecording: (ids) => findRecording(recordingsDir, ids), log: pino({ level: 'silent' }),
  });

  /** Every call row, by start. */
  const allCalls = () => h.db.select().from(calls).orderBy(calls.startedAt, calls.id);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cti-rec-'));
    h = await openDb(join(dir, 'cti.sqlite'));
    store = new CallStore(h.db);
    celFile = join(dir, 'cti.csv');
    recordingsDir = join(dir, 'recordings');
    mkdirSync(recordingsDir);
    live = new Set();
  });
  afterEach(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds the calls it never saw, and a second pass changes nothing', async () => {
    writeFileSync(celFile, ['inbound-answered', 'inbound-busy', 'internal'].map((s) => celFixtureText(s)).join(''));
    const first = await reconciler().run();
    expect(first).toMatchObject({ added: 3, completed: 0, badLines: 0 });
    const rows = (await allCalls());
    expect(rows.map((r) => [r.direction, r.disposition, r.extension, r.source]).sort()).toEqual([
      ['inbound', 'answered', '101', 'cdr'], ['inbound', 'busy', '199', 'cdr'], ['internal', 'answered', '102', 'cdr'],
    ]);
    const again = await reconciler().run({ fromStart: true });
    expect(again).toMatchObject({ added: 0, completed: 0, unchanged: 3 });
    expect((await allCalls())).toEqual(rows);
  });

  it("completes a call it saw in part with the log's facts (the same interpreter as live), keeping its id", async () => {
    const cdr = celFixtureText('inbound-answered');
    const linkedId = linkedIdOf(cdr);
    await store.save('seen', {
      linkedId, mergedLinkedIds: [], state: 'live', source: 'ami', needsCdr: false, direction: 'inbound', origin: null,
      externalNumber: '+79161234567', contactId: null, clientId: null, routedBy: null, extension: '101', startedAt: 1, answeredAt: 2, endedAt: null, ringMs: 1, talkMs: 0,
      disposition: null, hangupCause: null, recordingFile: '/rec/x.wav', legs: [],
    });
    writeFileSync(celFile, cdr);
    expect(await reconciler().run()).toMatchObject({ added: 0, completed: 1 });
    const row = (await allCalls())[0]!;
    expect(row).toMatchObject({ id: 'seen', state: 'ended', source: 'ami+cdr', disposition: 'answered', externalNumber: '15551230001', needsCdr: false,
      recordingFile: `/var/spool/asterisk/monitor/cti/${linkedId}.wav`, extension: '101', routedBy: 'fallback' });
    expect(Math.round(row.talkMs / 1000)).toBe(4);
    expect(await reconciler().run({ fromStart: true })).toMatchObject({ completed: 0, unchanged: 1 });
  });

  it("a call rebuilt from the log alone names the file MixMonitor wrote (its start's AppData)", async () => {
    const cdr = celFixtureText('inbound-answered');
    writeFileSync(celFile, cdr);
    expect(await reconciler().run()).toMatchObject({ added: 1 });
    expect((await allCalls())[0]).toMatchObject({ source: 'cdr', recordingFile: `/var/spool/asterisk/monitor/cti/${linkedIdOf(cdr)}.wav` });
    expect(await reconciler().run({ fromStart: true })).toMatchObject({ completed: 0, unchanged: 1 });
  });

  it('without a MixMonitor start in the log, the recording is found by its linkedid, as the dialplan names it', async () => {
    const cdr = celFixtureText('inbound-answered');
    const file = join(recordingsDir, `${linkedIdOf(cdr)}.wav`);
    writeFileSync(file, wav(4));
    writeFileSync(celFile, withoutMixMonitor(cdr));
    expect(await reconciler().run()).toMatchObject({ added: 1 });
    expect((await allCalls())[0]).toMatchObject({ source: 'cdr', recordingFile: file });
    expect(await reconciler().run({ fromStart: true })).toMatchObject({ completed: 0, unchanged: 1 });
  });

  it('a call the file has not finished is read again, from its first record, at the next pass', async () => {
    const cel = celFixtureText('inbound-answered').split('\n').filter(Boolean);
    const half = Math.floor(cel.length / 2);
    writeFileSync(celFile, `${celFixtureText('inbound-busy')}${cel.slice(0, half).join('\n')}\n`);
    expect(await reconciler().run()).toMatchObject({ added: 1 });
    appendFileSync(celFile, `${cel.slice(half).join('\n')}\n`);
    expect(await reconciler().run()).toMatchObject({ added: 1, unchanged: 0 });
    const answered = (await allCalls()).find((r) => r.disposition === 'answered')!;
    expect(answered).toMatchObject({ direction: 'inbound', extension: '101', state: 'ended' });
    expect(Math.round(answered.talkMs / 1000)).toBe(4);
  });

  it('a recording that shows up after the call is filled in by a later pass', async () => {
    const cdr = celFixtureText('inbound-answered');
    const file = join(recordingsDir, `${linkedIdOf(cdr)}.wav`);
    writeFileSync(celFile, withoutMixMonitor(cdr));
    // A minute after the call: its records are there, MixMonitor's file not yet.
    const clock = () => endOf(cdr) + 60_000;
    expect(await reconciler(clock).run()).toMatchObject({ added: 1, recordings: 0 });
    expect((await allCalls())[0]?.recordingFile).toBeNull();
    writeFileSync(file, wav(4));
    // The records are not read again: only the late-recording sweep can find it.
    writeFileSync(celFile, '');
    expect(await reconciler(clock).run()).toMatchObject({ recordings: 1 });
    expect((await allCalls())[0]).toMatchObject({ source: 'cdr', recordingFile: file });
  });

  it('a recording once stored is never replaced by null: a later save without one, then the log completing the call', async () => {
    const cdr = celFixtureText('inbound-answered');
    const linkedId = linkedIdOf(cdr);
    const seen: CallRecord = {
      linkedId, mergedLinkedIds: [], state: 'live', source: 'ami', needsCdr: true, direction: 'inbound', origin: null,
      externalNumber: '+79161234567', contactId: null, clientId: null, routedBy: null, extension: '101', startedAt: 1, answeredAt: 2, endedAt: null, ringMs: 1, talkMs: 0,
      disposition: null, hangupCause: null, recordingFile: '/var/spool/asterisk/monitor/cti/x.wav', legs: [],
    };
    await store.save('seen', seen);
    // What the service adopting the call after a restart wrote at its end: everything but the recording.
    await store.save('seen', { ...seen, state: 'ended', endedAt: 5000, recordingFile: null });
    expect((await allCalls())[0]).toMatchObject({ state: 'ended', recordingFile: '/var/spool/asterisk/monitor/cti/x.wav' });
    writeFileSync(celFile, withoutMixMonitor(cdr));
    expect(await reconciler().run()).toMatchObject({ completed: 1 });
    expect((await allCalls())[0]).toMatchObject({ source: 'ami+cdr', recordingFile: '/var/spool/asterisk/monitor/cti/x.wav' });
  });

  it('leaves calls the live tracker follows alone', async () => {
    writeFileSync(celFile, celFixtureText('inbound-answered'));
    const linkedId = linkedIdOf(readFileSync(celFile, 'utf8'));
    live.add(linkedId);
    expect(await reconciler().run()).toMatchObject({ added: 0 });
  });

  it('a call the live tracker still follows when the file finishes it is read again once it lets go (AMI cut mid-call)', async () => {
    writeFileSync(celFile, celFixtureText('inbound-answered'));
    const linkedId = linkedIdOf(readFileSync(celFile, 'utf8'));
    live.add(linkedId);
    expect(await reconciler().run()).toMatchObject({ added: 0 });
    live.delete(linkedId);
    // Nothing new in the file: the records already read are read again.
    expect(await reconciler().run()).toMatchObject({ added: 1 });
  });

  it('skips broken lines, reads only new lines next time, and starts over after a rotation', async () => {
    writeFileSync(celFile, `${celFixtureText('inbound-busy')}this is not a CEL line\n"unterminated\n`);
    expect(await reconciler().run()).toMatchObject({ added: 1, badLines: 2 });
    appendFileSync(celFile, celFixtureText('internal'));
    expect(await reconciler().run()).toMatchObject({ added: 1 });
    // Rotated: a new, shorter file.
    writeFileSync(celFile, celFixtureText('outbound'));
    expect(await reconciler().run()).toMatchObject({ added: 1 });
    expect((await allCalls())).toHaveLength(3);
  });

  it('does not import calls older than its window (a first start on a PBX with years of history)', async () => {
    writeFileSync(celFile, celFixtureText('inbound-answered'));
    const end = endOf(readFileSync(celFile, 'utf8'));
    const late = new Reconciler({ db: h.db, store, celFile, isExtension: isExt, region: 'RU', windowDays: 30, clock: () => end + 31 * 86_400_000, isLive: () => false, log: pino({ level: 'silent' }) });
    expect(await late.run()).toMatchObject({ added: 0 });
    const inTime = new Reconciler({ db: h.db, store, celFile, isExtension: isExt, region: 'RU', windowDays: 30, clock: () => end + 29 * 86_400_000, isLive: () => false, log: pino({ level: 'silent' }) });
    expect(await inTime.run({ fromStart: true })).toMatchObject({ added: 1 });
  });

  it('a missing CEL file is a warning, not a crash', async () => {
    expect(await reconciler().run()).toMatchObject({ added: 0, completed: 0 });
  });
});
