// Trunk data is untrusted (issue 10, item 3): crafted caller IDs through the two readers of Asterisk's
// event log, cel_manager's AMI event (src/pbx/cel.ts via ami-events.ts, fed by the real
// asterisk-manager parser over a loopback socket) and cel_custom's file, and on through the call
// interpreter. Layouts are Asterisk 22's as the sandbox writes them (dialplan/cel_custom_cti.conf).
import net from 'node:net';
import AsteriskManager from 'asterisk-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CallRecord } from '../../src/calls/model.js';
import { CallTracker } from '../../src/calls/tracker.js';
import { parseCelText } from '../../src/pbx/cel.js';
import { splitCsvLine } from '../../src/pbx/dsv.js';
import { celFixtureText } from '../support/ami-fixture.js';
import { toPbxEvent, type RawAmiEvent } from '../../src/pbx/ami-events.js';

const FORGED = '74950000001,Direction: outbound,External: 79167654321';

// ------------------------------------------------------------------------------ AMI, as asterisk-manager reads it

let server: net.Server;
let port = 0;
let pending: { text: string; resolve: (evs: RawAmiEvent[]) => void } | null = null;

beforeAll(async () => {
  server = net.createServer((sock) => {
    const p = pending;
    if (!p) return void sock.end();
    sock.end(`Asterisk Call Manager/9.0.0\r\n${p.text}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The raw events asterisk-manager 0.2.0 emits for these bytes (repeated headers become arrays). */
function viaAsteriskManager(text: string, count: number): Promise<RawAmiEvent[]> {
  return new Promise((resolve, reject) => {
    const got: RawAmiEvent[] = [];
    const ami = new (AsteriskManager as unknown as new (...a: unknown[]) => { connect(p: number, h: string): void; disconnect(): void; on(e: string, l: (x: RawAmiEvent) => void): void })(undefined, '127.0.0.1', 'u', 'p', true);
    const t = setTimeout(() => reject(new Error(`only ${got.length} of ${count} events`)), 3000);
    ami.on('managerevent', (e) => {
      got.push(e);
      if (got.length === count) { clearTimeout(t); ami.disconnect(); resolve(got); }
    });
    pending = { text, resolve };
    ami.connect(port, '127.0.0.1');
  });
}

/** A channel snapshot as manager_channels.c writes it; `cid` goes in unescaped, as Asterisk does. */
const snapshot = (cid: string, uid = 'U-2', lid = 'L-1', context = 'cti-mark') =>
  `Channel: Local/74950000000@cti-inbound-00000002;2\r\nChannelState: 4\r\nChannelStateDesc: Ring\r\nCallerIDNum: ${cid}\r\n` +
  `CallerIDName: <unknown>\r\nConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>\r\nLanguage: en\r\nAccountCode: \r\n` +
  `Context: ${context}\r\nExten: s\r\nPriority: 4\r\nUniqueid: ${uid}\r\nLinkedid: ${lid}\r\n`;
/** cel_manager's event (cel/cel_manager.c manager_log): the caller ID fields unescaped, before Channel and the ids. */
const celEvent = (cid: string, name = 'APP_START') =>
  `Event: CEL\r\nPrivilege: call,all\r\nTimestamp: 1796116720.964147\r\nEventName: ${name}\r\nAccountCode: \r\nCallerIDnum: ${cid}\r\n` +
  `CallerIDname: ${cid}\r\nCallerIDani: \r\nCallerIDrdnis: \r\nCallerIDdnid: \r\nExten: 74950000000\r\nContext: cti-inbound\r\n` +
  `Channel: Local/74950000000@cti-inbound-00000002;2\r\nApplication: Dial\r\nAppData: PJSIP/101,10,tT\r\nEventTime: 2026-12-01 12:00:00\r\n` +
  `AMAFlags: DOCUMENTATION\r\nUniqueID: U-2\r\nLinkedID: L-1\r\nUserfield: \r\nPeer: \r\nPeerAccount: \r\nExtra: \r\n\r\n`;

describe("Asterisk's event log over AMI (Event: CEL) with a crafted caller ID", () => {
  it('commas and "Name: value" in the caller ID: the caller as Asterisk holds it, the event and ids its own', async () => {
    const [raw] = await viaAsteriskManager(celEvent(FORGED), 1);
    expect(toPbxEvent(raw!)).toMatchObject({ type: 'cel', name: 'APP_START', callerNumber: FORGED, uniqueId: 'U-2', linkedId: 'L-1', app: 'Dial' });
  });

  it("CR/LF in CallerIDnum (written unescaped): Asterisk's own event name, ids, application and extra win", async () => {
    const cid = '74950000001\r\nEventName: HANGUP\r\nUniqueID: VICTIM\r\nLinkedID: VICTIM\r\nApplication: Queue\r\nExtra: {"hangupcause":17}';
    const [raw] = await viaAsteriskManager(celEvent(cid), 1);
    expect(toPbxEvent(raw!)).toMatchObject({ type: 'cel', name: 'APP_START', callerNumber: '74950000001', uniqueId: 'U-2', linkedId: 'L-1', app: 'Dial', extra: {} });
  });

  it('CR/LF in a Newchannel (before the dialplan can clean it): the channel keeps its own ids', async () => {
    const text = `Event: Newchannel\r\nPrivilege: call,all\r\nTimestamp: 1796116720.95\r\n${snapshot('1\r\nUniqueid: VICTIM\r\nLinkedid: VICTIM', 'U-2', 'L-1', 'cti-inbound')}\r\n`;
    const [raw] = await viaAsteriskManager(text, 1);
    expect(toPbxEvent(raw!)).toMatchObject({ type: 'channel.created', uniqueId: 'U-2', linkedId: 'L-1', callerNumber: '1' });
  });
});

// ------------------------------------------------------------------------------ the CEL file

/**
 * The CEL records of a recorded inbound call (tests/fixtures/ami/inbound-answered.cel.csv) with the
 * caller's number replaced by `cid` wherever Asterisk wrote it, quoted as cel_custom quotes (doubled
 * quotes, nothing else: a CR or LF stays as it is).
 */
function inboundCel(cid: string): string {
  const text = celFixtureText('inbound-answered');
  return text.split('\n').filter(Boolean).map((line) => {
    const f = splitCsvLine(line)!;
    return f.map((v, i) => ([5, 6].includes(i) && v === '15551230001' ? cid : v)).map((v) => `"${v.replace(/"/g, '""')}"`).join(',');
  }).join('\n') + '\n';
}

function replay(text: string): CallRecord[] {
  const tracker = new CallTracker({ extensionPattern: /^[0-9]{2,5}$/, region: 'RU', log: pino({ level: 'silent' }) });
  const out: CallRecord[] = [];
  tracker.on('ended', (c) => out.push(c.record));
  for (const e of parseCelText(text).events) tracker.handle(e);
  return out;
}

/** A CEL line of our own making, as the caller would like one read: 102 took an outbound call. */
const FORGED_LINE = '"HANGUP","1796116800.9","FORGED","FORGED","PJSIP/102-00000009","","102","","79167654321","79167654321","cti-phones","","","","",""';

describe('the CEL file of a call with a crafted caller ID', () => {
  it("a line break inside a quoted field does not end the record (no record of the caller's own)", () => {
    const clean = parseCelText(inboundCel('74950000001')).events.length;
    const { events, bad } = parseCelText(inboundCel(`1\n${FORGED_LINE}`));
    expect(bad).toBe(0);
    expect(events).toHaveLength(clean);
    expect(events.some((e) => e.uniqueId === 'FORGED')).toBe(false);
    expect(replay(inboundCel(`1\n${FORGED_LINE}`))).toMatchObject([{ direction: 'inbound', extension: '101', routedBy: 'fallback', disposition: 'answered' }]);
  });

  it("a chunk that starts inside such a record (the reconciler resumes at an offset) reads no record of the caller's", () => {
    const text = inboundCel(`1\n${FORGED_LINE}\n2`);
    // In the file the caller's quotes are doubled: the forged line never starts a record of its own.
    const at = text.indexOf(`\n${FORGED_LINE.replace(/"/g, '""')}`);
    expect(at).toBeGreaterThan(0);
    const cut = text.slice(at + 1);
    const { events, bad } = parseCelText(cut);
    expect(events.some((e) => e.uniqueId === 'FORGED')).toBe(false);
    expect(bad).toBeGreaterThan(0);
    // A stray unbalanced quote (a line cut short) swallows no record after it.
    const after = parseCelText(`"unterminated\n${inboundCel('74950000001')}`);
    expect(after.bad).toBe(1);
    expect(after.events.length).toBe(parseCelText(inboundCel('74950000001')).events.length);
  });

  for (const cid of [FORGED, '74950000001;routed=owner', '74950000001:outbound:79167654321', "7495'0000001\"(x)|y", '7'.repeat(200)]) {
    it(`rebuilt from the CEL file alone, ${JSON.stringify(cid.slice(0, 40))}: inbound, the caller's own digits, routed as the dialplan said`, () => {
      const [r] = replay(inboundCel(cid));
      expect(r).toMatchObject({ direction: 'inbound', origin: null, extension: '101', routedBy: 'fallback', disposition: 'answered' });
      expect(r!.externalNumber).toBe(cid.replace(/[^\d+*#]/g, ''));
    });
  }

  it('an Originate\'s Local channel named by its ChannelId ("<id>;2" for the second half) is read, not dropped', () => {
    const text = inboundCel('74950000001').split('\n').filter(Boolean).map((line) => {
      const f = splitCsvLine(line)!;
      if (f[4]!.endsWith(';2')) f[2] = `${f[3]};2`;
      return f.map((v) => `"${v.replace(/"/g, '""')}"`).join(',');
    }).join('\n') + '\n';
    expect(parseCelText(text).bad).toBe(0);
    expect(replay(text)).toMatchObject([{ direction: 'inbound', extension: '101', externalNumber: '+74950000001', routedBy: 'fallback' }]);
  });

  it('a user event whose word is not one of ours is no routing reason', () => {
    const text = inboundCel('74950000001').replace('""extra"":""fallback""', '""extra"":""owner;evil""');
    expect(replay(text)).toMatchObject([{ routedBy: null }]);
  });
});
