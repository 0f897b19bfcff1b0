// The browser phone end to end (issue 6): Debian's Chromium with fake media devices, the built web app
// served by the real service, SIP.js registered over a websocket to the sandbox Asterisk, real WebRTC
// (ICE, DTLS-SRTP, opus). Asterisk never offers a 127.0.0.0/8 ICE candidate, so this tier runs in a
// network namespace (sandbox/pbx.sh with CTI_PBX_NETNS, scripts/test.sh runs vitest under
// `ip netns exec`). What the manager sees is read from the page, what happened from the PBX's side
// (AMI events, channels, Asterisk's own CDR and the recording).
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  asterisk, closeSandbox, coreShowChannels, dialTo, hangupEverything, inboundCall, loadSandboxEnv, onAmiEvent, oneCdr, Phone, recordingPath,
  sandboxAmi, waitForCdr, waitForChannel, waitUntil, type AmiMessage,
} from '../support/sandbox.js';
import { AmiProxy, api, newDbFile, startService, type ServiceProcess } from '../support/service.js';
import { CHROMIUM, login, screenshotPath, seedLoginUser } from '../support/browser.js';

const PASSWORD = 'correct horse battery';
const WEB_EXT = '105'; // vera's browser phone: not in pjsip.conf, pushed by the service over ARI
const RULES = { defaultTarget: { extension: WEB_EXT }, managerRingSeconds: 15, targetRingSeconds: 20, tiers: [], deadlineMs: 300 };
const RUN = String(Math.floor(Math.random() * 900) + 100);
const num = (n: number) => `+7926${RUN}${String(n).padStart(4, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let svc: ServiceProcess;
let admin: string;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const events: AmiMessage[] = [];
let off: (() => void) | null = null;
let wsProxy: AmiProxy;

interface MediaStats { state: string; rxPackets: number; rxEnergy: number; txPackets: number; micEnergy: number; codec: string }

/** RTP statistics of the page's current call (getStats of the RTCPeerConnection SIP.js made). */
function pageStats(): Promise<MediaStats | null> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const pc = pcs[pcs.length - 1];
    if (!pc) return null;
    const r = { state: pc.connectionState as string, rxPackets: 0, rxEnergy: 0, txPackets: 0, micEnergy: 0, codec: '' };
    (await pc.getStats()).forEach((s: Record<string, any>) => {
      if (s['type'] === 'inbound-rtp' && s['kind'] === 'audio') { r.rxPackets = s['packetsReceived'] ?? 0; r.rxEnergy = s['totalAudioEnergy'] ?? 0; }
      if (s['type'] === 'outbound-rtp' && s['kind'] === 'audio') r.txPackets = s['packetsSent'] ?? 0;
      if (s['type'] === 'media-source' && s['kind'] === 'audio') r.micEnergy = s['totalAudioEnergy'] ?? 0;
      if (s['type'] === 'codec' && String(s['mimeType']).startsWith('audio')) r.codec = s['mimeType'];
    });
    return r;
  });
}

/** RMS amplitude of a WAV file (sox), 0 for silence. */
function rms(file: string): number {
  const out = execFileSync('sh', ['-c', 'sox "$1" -n stat 2>&1', 'sh', file], { encoding: 'utf8' });
  const m = /RMS\s+amplitude:\s+([0-9.]+)/.exec(out);
  return m ? Number(m[1]) : 0;
}

const one = oneCdr;

/** The logged call once ended and, when answered, once its recording is measured. */
async function logged(linkedId: string): Promise<any> {
  return waitUntil(async () => {
    const r = await api(svc, `/api/v1/calls?linkedId=${encodeURIComponent(linkedId)}`, admin);
    const c = r.body?.items?.[0];
    return c && c.state === 'ended' && (c.disposition !== 'answered' || c.recording) ? c : undefined;
  }, 30_000, `call ${linkedId} in the log`, 250);
}

const phoneState = () => page.getByTestId('softphone').getAttribute('data-call');
const webChannel = (linkedId: string) =>
  waitForChannel((c) => c.linkedid === linkedId && c.channel.startsWith(`PJSIP/${WEB_EXT}-`) && c.bridgeid !== '', 20_000, `${WEB_EXT} talking`);

beforeAll(async () => {
  const env = loadSandboxEnv();
  if (!env['CTI_SANDBOX_NETNS']) throw new Error('the browser phone tier needs the sandbox in a network namespace: CTI_PBX_NETNS=<ns> sandbox/pbx.sh up, then run vitest under `ip netns exec <ns>` (scripts/test.sh does both)');
  const here = execFileSync('ip', ['netns', 'identify', String(process.pid)], { encoding: 'utf8' }).trim();
  if (here !== env['CTI_SANDBOX_NETNS']) throw new Error(`run this tier under \`ip netns exec ${env['CTI_SANDBOX_NETNS']}\` (now in '${here || 'the host namespace'}')`);
  await sandboxAmi();
  off = onAmiEvent((e) => { if (['Hold', 'Unhold', 'DTMFEnd', 'BlindTransfer'].includes(String(e['event']))) events.push(e); });
  const dbFile = newDbFile();
  admin = (await seedLoginUser(dbFile, 'root', 'admin', { password: PASSWORD })).token;
  const vera = await seedLoginUser(dbFile, 'vera', 'manager', { extension: WEB_EXT, password: PASSWORD, language: 'en' });
  await seedLoginUser(dbFile, 'anna', 'manager', { extension: '101', password: PASSWORD, language: 'en' });
  expect(vera.id).toBeTruthy();
  // Browsers reach Asterisk's SIP websocket through a proxy the network-drop test can cut (any TCP works).
  wsProxy = new AmiProxy(Number(new URL(env.CTI_ARI_URL).port));
  const wsPort = await wsProxy.start();
  svc = await startService({ dbFile, rules: RULES, env: { CTI_SOFTPHONE_WS_URL: `ws://127.0.0.1:${wsPort}/ws` } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      // A fake microphone (a beep) and no permission prompt.
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      // This namespace has only loopback: let WebRTC use it, and offer the address itself, not an mDNS name.
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  });
  ctx = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'en-GB', timezoneId: 'Europe/Moscow', permissions: ['microphone'] });
  // Keeps the page's RTCPeerConnections reachable for getStats (nothing else in the page changes).
  await ctx.addInitScript(() => {
    const w = window as unknown as { __pcs: RTCPeerConnection[]; RTCPeerConnection: typeof RTCPeerConnection };
    const Orig = w.RTCPeerConnection;
    w.__pcs = [];
    const Wrapped = function (this: unknown, ...args: ConstructorParameters<typeof RTCPeerConnection>) {
      const pc = new Orig(...args);
      w.__pcs.push(pc);
      return pc;
    } as unknown as typeof RTCPeerConnection;
    Wrapped.prototype = Orig.prototype;
    Object.setPrototypeOf(Wrapped, Orig);
    w.RTCPeerConnection = Wrapped;
  });
  // The page's console (SIP.js warnings, our phone's errors) next to the service's log, for a failure's story.
  const consoleLog = createWriteStream(`${svc.logFile}.browser.log`);
  ctx.on('console', (m) => consoleLog.write(`${new Date().toISOString()} ${m.type()} ${m.text()}\n`));
  // The admin's switch, on the users page: vera takes her calls in the browser from now on.
  const adminCtx = await browser.newContext({ locale: 'en-GB' });
  const adminPage = await login(adminCtx, svc.url, 'root', PASSWORD);
  await adminPage.goto(`${svc.url}/#/users`);
  const row = adminPage.locator('[data-testid="user-row"][data-user="vera"]');
  await row.getByTestId('user-phone-mode').selectOption('browser');
  await row.getByRole('button', { name: /save|сохранить/i }).click();
  await row.locator('small.ok').waitFor({ timeout: 10_000 });
  await adminCtx.close();
  page = await login(ctx, svc.url, 'vera', PASSWORD);
});

afterAll(async () => {
  off?.();
  await ctx?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await svc?.stop();
  await wsProxy?.cut();
  await closeSandbox();
});

describe('the browser phone on the sandbox Asterisk', () => {
  it('registers at login and says so; Asterisk has the endpoint the service pushed', async () => {
    await page.locator('[data-testid="phone-state"][data-state="registered"]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('phone-state').innerText()).toContain(WEB_EXT);
    expect(asterisk(`pjsip show endpoint ${WEB_EXT}`)).toMatch(/webrtc\s+:\s+yes/);
    const contacts = await waitUntil(() => { const c = asterisk('pjsip show contacts'); return c.includes(`Contact:  ${WEB_EXT}/sip:`) ? c : undefined; }, 5000, 'the contact');
    expect(contacts.split('\n').find((l) => l.includes(`${WEB_EXT}/sip:`)), contacts).toMatch(/transport=ws/i);
    // The microphone can be chosen (Chromium's fake device is listed once the page had the microphone).
    await page.getByTestId('phone-devices-toggle').click();
    expect(await page.getByTestId('phone-mic').locator('option').count()).toBeGreaterThanOrEqual(1);
    await page.getByTestId('phone-devices-toggle').click();
  });

  it('an inbound call pops and rings in the page, is answered there, audio flows both ways, and it ends', async () => {
    const from = num(1);
    const h = await inboundCall({ from, did: '74950000000' });
    const pop = page.getByTestId('pop').filter({ has: page.getByTestId('phone-answer') });
    await pop.waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('softphone').getAttribute('data-call')).toBe('incoming');
    expect(await page.getByTestId('phone-remote').innerText()).toContain(from.replace('+', ''));
    await pop.getByTestId('phone-answer').click();
    await page.locator('[data-testid="softphone"][data-call="active"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="pop-status"][data-phase="talking"]').waitFor({ timeout: 10_000 });
    await webChannel(h.linkedid);
    await sleep(4000);
    const shot = screenshotPath('browser-phone.png');
    if (shot) await page.screenshot({ path: shot });
    const s1 = (await pageStats())!;
    await sleep(1000);
    const s2 = (await pageStats())!;
    expect(s2.state).toBe('connected');
    expect(s2.codec).toBe('audio/opus');
    // PBX -> browser: packets keep coming and carry sound (the caller's hello-world).
    expect(s2.rxPackets).toBeGreaterThan(s1.rxPackets);
    expect(s2.rxPackets).toBeGreaterThan(150);
    expect(s2.rxEnergy).toBeGreaterThan(0);
    // Browser -> PBX: the fake microphone beeps, its packets leave and Asterisk receives them.
    expect(s2.txPackets).toBeGreaterThan(s1.txPackets);
    expect(s2.micEnergy).toBeGreaterThan(0);
    const stats = asterisk('pjsip show channelstats');
    const line = stats.split('\n').find((l) => l.includes(`${WEB_EXT}-`));
    expect(line, stats).toBeTruthy();
    await page.getByTestId('phone-hangup').click();
    await page.locator('[data-testid="softphone"][data-call="idle"]').waitFor({ timeout: 10_000 });
    await page.getByTestId('wrapup-form').waitFor({ timeout: 15_000 });

    const rows = await waitForCdr(h.linkedid);
    const call = await logged(h.linkedid);
    const dial = one(rows, dialTo(WEB_EXT), `the Dial to ${WEB_EXT}`);
    expect(dial.disposition).toBe('ANSWERED');
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: WEB_EXT, externalNumber: from });
    expect(Math.abs(call.talkSeconds - dial.billsec)).toBeLessThanOrEqual(1);
    expect(Math.abs(call.ringSeconds - (dial.duration - dial.billsec))).toBeLessThanOrEqual(1);
    expect(call.talkSeconds).toBeGreaterThanOrEqual(4);
    // Recorded like any call, and not silent.
    expect(call.recording).not.toBeNull();
    expect(rms(recordingPath(h.linkedid))).toBeGreaterThan(0.005);
  });

  it('a declined call stops ringing in the page and is logged as the PBX saw it (busy)', async () => {
    const from = num(5);
    const h = await inboundCall({ from, did: '74950000000' });
    await page.locator('[data-testid="softphone"][data-call="incoming"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('pop').getByTestId('phone-decline').click();
    await page.locator('[data-testid="softphone"][data-call="idle"]').waitFor({ timeout: 10_000 });
    const rows = await waitForCdr(h.linkedid);
    const call = await logged(h.linkedid);
    expect(one(rows, dialTo(WEB_EXT), `the Dial to ${WEB_EXT}`).disposition).toBe('BUSY');
    expect(call).toMatchObject({ direction: 'inbound', disposition: 'busy', extension: WEB_EXT, talkSeconds: 0, recording: null });
  });

  it('click-to-call in browser mode rings the page, which answers its own call; hold, unhold and DTMF reach Asterisk', async () => {
    const clientNumber = num(2);
    const c = await api(svc, '/api/v1/clients', admin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'company', name: `Web Co ${RUN}`, ownerName: 'vera' }) });
    const ct = await api(svc, '/api/v1/contacts', admin, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: c.body.id, name: 'Pavel Web', phones: [{ number: clientNumber, label: 'mobile' }] }),
    });
    expect(ct.status).toBe(201);
    await page.goto(`${svc.url}/#/contacts/${ct.body.id}`);
    const card = page.getByTestId('contact-card');
    await card.waitFor();
    await page.locator('[data-testid="phone-state"][data-state="registered"]').waitFor({ timeout: 20_000 });
    const since = Date.now();
    await card.getByTestId('c2c-button').first().click();
    // No prompt: the ring carrying our request id is answered by the page; then the client is dialled.
    await page.locator('[data-testid="softphone"][data-call="active"]').waitFor({ timeout: 15_000 });
    await card.locator('[data-testid="c2c-status"][data-stage="talking"]').waitFor({ timeout: 20_000 });
    const ch = (await coreShowChannels()).find((x) => x.channel.startsWith(`PJSIP/${WEB_EXT}-`));
    expect(ch, 'the browser phone channel').toBeTruthy();
    const linkedId = ch!.linkedid;
    await sleep(1500);

    // Hold: a re-INVITE (sendonly); Asterisk says Hold on our channel and plays the client music.
    await page.getByTestId('phone-hold').click();
    await page.locator('[data-testid="softphone"][data-held="yes"]').waitFor({ timeout: 10_000 });
    await waitUntil(() => events.find((e) => e['event'] === 'Hold' && String(e['channel']).startsWith(`PJSIP/${WEB_EXT}-`) && e['linkedid'] === linkedId), 10_000, 'AMI Hold');
    await sleep(1000);
    await page.getByTestId('phone-hold').click();
    await page.locator('[data-testid="softphone"][data-held="no"]').waitFor({ timeout: 10_000 });
    await waitUntil(() => events.find((e) => e['event'] === 'Unhold' && String(e['channel']).startsWith(`PJSIP/${WEB_EXT}-`) && e['linkedid'] === linkedId), 10_000, 'AMI Unhold');
    // Media flows again after the unhold.
    const a = (await pageStats())!;
    await sleep(1500);
    const b = (await pageStats())!;
    expect(b.rxPackets).toBeGreaterThan(a.rxPackets);
    expect(b.txPackets).toBeGreaterThan(a.txPackets);

    // DTMF from the keypad (RFC 4733 in the media): Asterisk hears the digits.
    await page.getByTestId('phone-keypad-toggle').click();
    for (const k of ['4', '2']) await page.getByTestId(`phone-key-${k}`).click();
    await waitUntil(() => {
      const digits = events.filter((e) => e['event'] === 'DTMFEnd' && String(e['channel']).startsWith(`PJSIP/${WEB_EXT}-`) && e['linkedid'] === linkedId && e['direction'] === 'Received').map((e) => e['digit']);
      return digits.join('') === '42';
    }, 10_000, 'DTMF 4 and 2 received by Asterisk');
    await sleep(1000);
    await page.getByTestId('phone-hangup').click();
    await card.locator('[data-testid="c2c-status"][data-stage="ended"]').waitFor({ timeout: 15_000 });

    const rows = await waitForCdr(linkedId);
    const call = await logged(linkedId);
    expect(Date.parse(call.startedAt)).toBeGreaterThanOrEqual(since - 2000);
    expect(call).toMatchObject({ direction: 'outbound', origin: 'click2call', disposition: 'answered', extension: WEB_EXT, externalNumber: clientNumber });
    const client = one(rows, (r) => r.channel.includes('@sandbox-pstn') && r.channel.endsWith(';2'), "the client's row");
    expect(Math.abs(call.talkSeconds - client.billsec)).toBeLessThanOrEqual(1);
    expect(call.legs[0].extension).toBe(WEB_EXT);
    expect(call.recording).not.toBeNull();
    expect(rms(recordingPath(linkedId))).toBeGreaterThan(0.005);
  });

  it('a blind transfer from the page to a desk phone (101) stays one call, with talk time per manager', async () => {
    const p101 = await new Phone('101').open();
    try {
      p101.clearEvents();
      const from = num(3);
      const h = await inboundCall({ from, did: '74950000000' });
      await page.locator('[data-testid="softphone"][data-call="incoming"]').waitFor({ timeout: 15_000 });
      await page.getByTestId('softphone').getByTestId('phone-answer').click();
      await webChannel(h.linkedid);
      await sleep(3000);
      await page.getByTestId('phone-transfer-to').fill('101');
      await page.getByTestId('phone-transfer').click();
      await p101.waitFor('CALL_ESTABLISHED', 15_000);
      // The page's leg ends once Asterisk has taken the call over.
      await page.locator('[data-testid="softphone"][data-call="idle"]').waitFor({ timeout: 10_000 });
      await waitUntil(() => events.find((e) => e['event'] === 'BlindTransfer' && e['transfererlinkedid'] === h.linkedid), 10_000, 'AMI BlindTransfer');
      await sleep(3000);
      await p101.hangup();
      const rows = await waitForCdr(h.linkedid);
      const call = await logged(h.linkedid);
      expect(call).toMatchObject({ direction: 'inbound', disposition: 'answered', extension: '101', externalNumber: from });
      const legs = Object.fromEntries(call.legs.map((l: any) => [l.extension, l]));
      expect(Object.keys(legs).sort()).toEqual(['101', WEB_EXT]);
      expect(Math.abs(legs[WEB_EXT].talkSeconds - one(rows, dialTo(WEB_EXT), `the Dial to ${WEB_EXT}`).billsec)).toBeLessThanOrEqual(1);
      expect(Math.abs(legs['101'].talkSeconds - one(rows, dialTo('101'), 'the Dial to 101').billsec)).toBeLessThanOrEqual(1);
      const client = one(rows, (r) => r.channel.includes('@cti-inbound') && r.channel.endsWith(';1'), "the client's row");
      expect(Math.abs(call.talkSeconds - client.billsec)).toBeLessThanOrEqual(1);
      expect(call.recording).not.toBeNull();
    } finally {
      p101.close();
    }
  });

  it('recovers after a network drop: says so, and registers again when the network is back', async () => {
    await page.locator('[data-testid="phone-state"][data-state="registered"]').waitFor({ timeout: 20_000 });
    // The page reaches Asterisk's websocket through a TCP proxy: cut it (connections dropped, new ones
    // refused) for a few seconds, as a Wi-Fi change or a VPN drop would.
    await wsProxy.cut();
    await page.locator('[data-testid="phone-state"][data-state="retrying"]').waitFor({ timeout: 10_000 });
    await sleep(3000);
    await wsProxy.restore();
    await page.locator('[data-testid="phone-state"][data-state="registered"]').waitFor({ timeout: 30_000 });
    expect(asterisk('pjsip show contacts')).toContain(`Contact:  ${WEB_EXT}/sip:`);
  });

  it('recovers after a PBX restart: the service pushes the endpoint again and the page registers again', async () => {
    asterisk('core restart now');
    await page.locator('[data-testid="phone-state"][data-state="retrying"], [data-testid="phone-state"][data-state="connecting"]').first().waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="phone-state"][data-state="registered"]').waitFor({ timeout: 60_000 });
    await waitUntil(() => { try { return asterisk('pjsip show contacts').includes(`Contact:  ${WEB_EXT}/sip:`); } catch { return false; } }, 20_000, 'the page registered again');
    // The test's own AMI connection died with the PBX: a new one; and the service is attached again.
    await closeSandbox();
    await waitUntil(async () => { try { await sandboxAmi(); return true; } catch { await closeSandbox(); return false; } }, 20_000, 'AMI back', 500);
    await waitUntil(async () => (await fetch(`${svc.url}/healthz`)).status === 200, 30_000, 'the service attached to the PBX again', 250);
    // And it still takes calls.
    const h = await inboundCall({ from: num(4), did: '74950000000', talkSeconds: 2 });
    await page.locator('[data-testid="softphone"][data-call="incoming"]').waitFor({ timeout: 20_000 });
    await page.getByTestId('softphone').getByTestId('phone-answer').click();
    await page.locator('[data-testid="softphone"][data-call="active"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="softphone"][data-call="idle"]').waitFor({ timeout: 15_000 });
    const call = await logged(h.linkedid);
    expect(call).toMatchObject({ disposition: 'answered', extension: WEB_EXT });
    // Remaining channels of this test (none expected) are cleared for the next file.
    await hangupEverything();
  });
});
