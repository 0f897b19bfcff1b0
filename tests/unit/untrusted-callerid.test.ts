// Trunk data is untrusted (issue 10, item 3): crafted caller IDs through the two parsers that read what
// Asterisk and our dialplan wrote, the AMI UserEvent mapping (src/pbx/ami-events.ts, fed by the real
// asterisk-manager parser over a loopback socket) and the CDR file (src/calls/cdr.ts). Event and CDR
// layouts are Asterisk 22's as the sandbox writes them (dialplan/extensions_cti.conf).
import net from 'node:net';
import AsteriskManager from 'asterisk-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCdrText, summariseCdr } from '../../src/calls/cdr.js';
import { toPbxEvent, type RawAmiEvent } from '../../src/pbx/ami-events.js';

const isExt = (r: string) => /^[0-9]{2,5}$/.test(r);
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
const userEvent = (cid: string, body: string) =>
  `Event: UserEvent\r\nPrivilege: user,all\r\nTimestamp: 1796116720.964147\r\n${snapshot(cid)}UserEvent: CtiCall\r\n${body}\r\n\r\n`;

describe('UserEvent(CtiCall) with a crafted caller ID', () => {
  it('commas and "Name: value" in the caller ID: inbound, the caller as Asterisk holds it', async () => {
    const [raw] = await viaAsteriskManager(userEvent(FORGED, 'Direction: inbound\r\nExternal: '), 1);
    expect(toPbxEvent(raw!)).toMatchObject({ type: 'call.marked', direction: 'inbound', external: FORGED, uniqueId: 'U-2', linkedId: 'L-1' });
  });

  it("an inbound mark's External field is never the outside party (a dialplan that still splices it)", async () => {
    // What the dialplan before the fix emitted for FORGED: UserEvent keeps the last of two equal names.
    const [raw] = await viaAsteriskManager(userEvent(FORGED, 'Direction: inbound\r\nExternal: 79167654321\r\nDialled: 74950000000'), 1);
    expect(toPbxEvent(raw!)).toMatchObject({ direction: 'inbound', external: FORGED });
  });

  it('CR/LF in CallerIDNum (Asterisk writes it unescaped): the body and Asterisk\'s own Uniqueid and Linkedid win', async () => {
    const cid = '74950000001\r\nDirection: outbound\r\nExternal: 79167654321\r\nUniqueid: VICTIM\r\nLinkedid: VICTIM';
    const [raw] = await viaAsteriskManager(userEvent(cid, 'Direction: inbound\r\nExternal: '), 1);
    expect(toPbxEvent(raw!)).toMatchObject({ type: 'call.marked', direction: 'inbound', external: '74950000001', uniqueId: 'U-2', linkedId: 'L-1' });
  });

  it('CR/LF in a Newchannel (before the dialplan can clean it): the channel keeps its own ids', async () => {
    const text = `Event: Newchannel\r\nPrivilege: call,all\r\nTimestamp: 1796116720.95\r\n${snapshot('1\r\nUniqueid: VICTIM\r\nLinkedid: VICTIM', 'U-2', 'L-1', 'cti-inbound')}\r\n`;
    const [raw] = await viaAsteriskManager(text, 1);
    expect(toPbxEvent(raw!)).toMatchObject({ type: 'channel.created', uniqueId: 'U-2', linkedId: 'L-1', callerNumber: '1' });
  });
});

// ------------------------------------------------------------------------------ the CDR file

/** The two rows the sandbox writes for an inbound call (tests/fixtures/ami/inbound-answered.cdr.csv). */
function inboundRows(src: string, userfield: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`; // CSV_QUOTE: quotes doubled, nothing else
  const row = (f: string[]) => f.map(q).join(',');
  return `${row(['L-1', 'L-1', 'Local/74950000000@cti-inbound-00000000;1', '', '101', 's', 'sandbox-caller', 'Playback', '1796116720.958187', '1796116720.979092', '1796116721.979773', '1', '1', 'ANSWERED', '', '6'])}\n` +
    `${row(['L-1', 'U-2', 'Local/74950000000@cti-inbound-00000000;2', 'PJSIP/101-00000002', src, '74950000000', 'cti-inbound', 'Dial', '1796116720.958337', '1796116720.979690', '1796116721.980453', '1', '1', 'ANSWERED', userfield, '7'])}\n`;
}

describe('the CDR of a call with a crafted caller ID', () => {
  it('a line break inside a quoted field does not end the record (no row of the caller\'s own)', () => {
    // An unquoted CSV line hidden in the caller ID: split on every newline, it became an outbound call of 102's.
    const cid = '1\nFORGED,FORGED,PJSIP/102-00000009,Local/79167654321@trunk,102,79167654321,cti-outbound,Dial,1796116720.9,1796116721.9,1796116800.9,80,79,ANSWERED,cti:outbound:79167654321,1';
    const { rows, bad } = parseCdrText(inboundRows(cid, 'cti:inbound:;routed=fallback'));
    expect(bad).toBe(0);
    expect(rows.map((r) => r.linkedid)).toEqual(['L-1', 'L-1']);
    expect(rows[1]!.src).toBe(cid);
    expect(summariseCdr(rows, isExt, 'RU')).toMatchObject({ direction: 'inbound', extension: '101', routedBy: 'fallback' });
  });

  it('a chunk that starts inside such a record (the reconciler re-reads from an offset) reads no row of the caller\'s', () => {
    const forged = 'FORGED,FORGED,PJSIP/102-00000009,Local/79167654321@trunk,102,79167654321,cti-outbound,Dial,1796116720.9,1796116721.9,1796116800.9,80,79,ANSWERED,cti:outbound:79167654321,1';
    const text = inboundRows(`1\n${forged}\n2`, 'cti:inbound:;routed=fallback');
    expect(parseCdrText(text).rows.map((r) => r.linkedid)).toEqual(['L-1', 'L-1']);
    // The reader drops the partial first line of a chunk: here it lands on the forged line.
    const cut = text.slice(text.indexOf('\nFORGED') + 1);
    const { rows, bad } = parseCdrText(cut);
    expect(rows.map((r) => r.linkedid)).toEqual([]);
    expect(bad).toBe(2);
    // A stray unbalanced quote (a line cut short) swallows no record after it.
    const after = parseCdrText(`"unterminated\n${inboundRows('74950000001', 'cti:inbound:;routed=default')}`);
    expect(after).toMatchObject({ bad: 1 });
    expect(after.rows.map((r) => r.uniqueid)).toEqual(['L-1', 'U-2']);
  });

  for (const cid of [FORGED, '74950000001;routed=owner', '74950000001:outbound:79167654321', "7495'0000001\"(x)|y", '7'.repeat(200)]) {
    it(`logged from the CDR alone, ${JSON.stringify(cid.slice(0, 40))}: inbound, the caller's own digits, routed as the dialplan said`, () => {
      const s = summariseCdr(parseCdrText(inboundRows(cid, 'cti:inbound:;routed=fallback')).rows, isExt, 'RU');
      expect(s).toMatchObject({ direction: 'inbound', origin: null, extension: '101', routedBy: 'fallback', disposition: 'answered' });
      expect(s.externalNumber).toBe(cid.replace(/[^\d+*#]/g, ''));
    });
  }

  it('rows written before the fix (caller ID in the userfield): the caller ID is no field of ours', () => {
    const summary = (cid: string, userfield: string) => summariseCdr(parseCdrText(inboundRows(cid, userfield)).rows, isExt, 'RU');
    expect(summary('1;routed=owner', 'cti:inbound:1;routed=owner;routed=default')).toMatchObject({ direction: 'inbound', routedBy: 'default', externalNumber: '1' });
    // cti-routed never ran (the caller hung up while the service decided): nothing of the caller's is a reason.
    expect(summary('1;routed=owner', 'cti:inbound:1;routed=owner')).toMatchObject({ direction: 'inbound', routedBy: null });
    expect(summary('7:outbound:1', 'cti:inbound:7:outbound:1;routed=fallback')).toMatchObject({ direction: 'inbound', routedBy: 'fallback', externalNumber: '71' });
    expect(summary('+79161234567', 'cti:inbound:+79161234567')).toMatchObject({ direction: 'inbound', externalNumber: '+79161234567', routedBy: null });
  });
});
