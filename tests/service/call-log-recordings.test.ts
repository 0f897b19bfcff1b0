// Recordings of calls adopted after a restart (AMI CoreShowChannels), on a fresh SQLite: the call log
// keeps the recording storage knew, or finds the file the dialplan names by the linkedid.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallLog } from '../../src/calls/call-log.js';
import type { CallRecord } from '../../src/calls/model.js';
import { openDb, type DbHandle } from '../../src/db/client.js';
import type { LiveChannel } from '../../src/pbx/events.js';
import { parseEndpoint } from '../../src/pbx/cel.js';
import type { CelEvent } from '../../src/pbx/events.js';

const LINKED = '5de4d697-47de-48fd-ac56-6a8546e5c370';
const T0 = 1_795_330_129_978;

/** An inbound call in progress as CoreShowChannels lists it: the trunk side in cti-inbound, bridged to phone 101. */
const liveCall: LiveChannel[] = [
  { uniqueId: 'b30c931e', linkedId: LINKED, channel: 'Local/8005550101@cti-inbound-00000000;2', state: 'up', durationSeconds: 3, bridged: true,
    callerNumber: '15551230001', connectedNumber: '101', context: 'cti-inbound', exten: '8005550101' },
  { uniqueId: 'pjsip-101', linkedId: LINKED, channel: 'PJSIP/101-00000000', state: 'up', durationSeconds: 3, bridged: true,
    callerNumber: '101', connectedNumber: '15551230001', context: 'cti-phones', exten: '' },
];

describe('recordings of calls adopted after a restart', async () => {
  let dir: string;
  let recordingsDir: string;
  let h: DbHandle;
  let log: CallLog;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cti-rec-adopt-'));
    recordingsDir = join(dir, 'recordings');
    mkdirSync(recordingsDir);
    h = await openDb(join(dir, 'cti.sqlite'));
    log = new CallLog({
      db: h.db, log: pino({ level: 'silent' }), extensionPattern: /^[0-9]{3}$/, region: 'RU', recordingsDir,
      celFile: join(dir, 'cti.csv'), reconcileIntervalMs: 60_000, cdrSettleMs: 60_000,
    });
  });
  afterEach(async () => {
    await log.stop();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A CEL HANGUP record of one channel (Normal Clearing), as cel_manager reports it. */
  const celHangup = (uniqueId: string, channel: string, at: number): CelEvent => ({
    type: 'cel', name: 'HANGUP', at, uniqueId, linkedId: LINKED, channel, endpoint: parseEndpoint(channel), callerNumber: null, callerName: null,
    dnid: null, exten: '', context: '', app: '', appData: '', peer: '', userEvent: null, extra: { hangupcause: 16, hangupsource: '', dialstatus: '' },
  });

  /** Adopt the call, then let it end: both channels hang up, as Asterisk reports it. */
  async function adoptAndEnd(): Promise<void> {
    await log.resync(liveCall, T0 + 3000);
    await log.flush();
    for (const c of liveCall) {
      log.handle(celHangup(c.uniqueId, c.channel, T0 + 5000));
    }
    await log.flush();
  }

  it('a call storage knew with its recording keeps it through the adoption and the end', async () => {
    const before: CallRecord = {
      linkedId: LINKED, mergedLinkedIds: [], state: 'live', source: 'ami', needsCdr: false, direction: 'inbound', origin: null,
      externalNumber: '+15551230001', contactId: null, clientId: null, routedBy: 'default', extension: '101', startedAt: T0, answeredAt: T0 + 20,
      endedAt: null, ringMs: 20, talkMs: 0, disposition: null, hangupCause: null, recordingFile: `/var/spool/asterisk/monitor/cti/${LINKED}.wav`, legs: [],
    };
    await log.store.save('seen-before', before);
    await log.resync(liveCall, T0 + 3000);
    await log.flush();
    expect(await log.store.findByLinkedId(LINKED)).toMatchObject({ id: 'seen-before', state: 'live', recordingFile: before.recordingFile });
    for (const c of liveCall) {
      log.handle(celHangup(c.uniqueId, c.channel, T0 + 5000));
    }
    await log.flush();
    expect(await log.store.findByLinkedId(LINKED)).toMatchObject({ id: 'seen-before', state: 'ended', recordingFile: before.recordingFile });
  });

  it('a call never seen before finds the file the dialplan names by its linkedid', async () => {
    const file = join(recordingsDir, `${LINKED}.wav`);
    writeFileSync(file, Buffer.alloc(44 + 16_000));
    await adoptAndEnd();
    expect(await log.store.findByLinkedId(LINKED)).toMatchObject({ state: 'ended', source: 'ami', recordingFile: file });
  });

  it('a call adopted before its file exists finds it at its end', async () => {
    await log.resync(liveCall, T0 + 3000);
    await log.flush();
    expect((await log.store.findByLinkedId(LINKED))?.recordingFile).toBeNull();
    const file = join(recordingsDir, `${LINKED}.wav`);
    writeFileSync(file, Buffer.alloc(44 + 16_000));
    for (const c of liveCall) {
      log.handle(celHangup(c.uniqueId, c.channel, T0 + 5000));
    }
    await log.flush();
    expect(await log.store.findByLinkedId(LINKED)).toMatchObject({ state: 'ended', recordingFile: file });
  });
});
