// The browser phone's panel (users in browser mode): registration state, a dial pad, and while a call
// lasts hang up, mute, hold, DTMF keypad, blind transfer and the audio devices. The pop
// (components/call-pop.tsx) shows Answer / Decline through RingControls while the page rings.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { duration } from '../format.js';
// sip.js is loaded only for users in browser mode (its own chunk): desk users never download it.
import type { BrowserPhone, PhoneSnapshot } from './phone.js';

let phone: BrowserPhone | null = null;
const phoneListeners = new Set<() => void>();

/** The page's phone, or null for desk users (and before the panel mounts). */
export function currentPhone(): BrowserPhone | null {
  return phone;
}

/** Click-to-call started by this page: its ring is answered without a prompt. */
export function expectClickToCall(requestId: string): void {
  phone?.expectClickToCall(requestId);
}

export function usePhone(): PhoneSnapshot | null {
  const [snap, setSnap] = useState<PhoneSnapshot | null>(phone?.snapshot ?? null);
  const [, bump] = useState(0);
  useEffect(() => {
    const on = () => bump((n) => n + 1);
    phoneListeners.add(on);
    return () => { phoneListeners.delete(on); };
  }, []);
  useEffect(() => (phone ? phone.subscribe(setSnap) : undefined), [phone]);
  return phone ? snap : null;
}

/** A ring tone made in the page (two tones, 1 s on, 3 s off); no audio file to ship. */
function useRingTone(on: boolean): void {
  useEffect(() => {
    if (!on) return;
    let ctx: AudioContext | null = null;
    try {
      ctx = new AudioContext();
    } catch {
      return;
    }
    const gain = ctx.createGain();
    gain.gain.value = 0;
    gain.connect(ctx.destination);
    for (const f of [440, 480]) {
      const o = ctx.createOscillator();
      o.frequency.value = f;
      o.connect(gain);
      o.start();
    }
    let ringing = false;
    const i = setInterval(() => { ringing = !ringing; gain.gain.value = ringing ? 0.08 : 0; }, 2000);
    void ctx.resume().catch(() => undefined);
    return () => { clearInterval(i); void ctx?.close(); };
  }, [on]);
}

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

function stateText(s: PhoneSnapshot): string {
  switch (s.registration) {
    case 'registered': return t('phoneRegistered', { extension: s.extension ?? '' });
    case 'connecting': return t('phoneConnecting');
    case 'retrying': return t('phoneRetrying', { seconds: s.retryInSeconds ?? 0, why: s.lastError ?? '' });
    case 'disabled': return t('phoneDisabled');
    default: return t('phoneOff');
  }
}

function Timer({ since }: { since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(i);
  }, []);
  return <span data-testid="phone-timer">{duration((now - since) / 1000)}</span>;
}

function Devices() {
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [input, setInput] = useState(phone?.inputDeviceId ?? '');
  const [output, setOutput] = useState(phone?.outputDeviceId ?? '');
  useEffect(() => {
    const load = () => navigator.mediaDevices?.enumerateDevices().then(setDevices).catch(() => undefined);
    void load();
    navigator.mediaDevices?.addEventListener('devicechange', load);
    return () => navigator.mediaDevices?.removeEventListener('devicechange', load);
  }, []);
  const mics = devices.filter((d) => d.kind === 'audioinput');
  const speakers = devices.filter((d) => d.kind === 'audiooutput');
  return (
    <div class="phone-devices" data-testid="phone-devices">
      <label>
        {t('phoneMicrophone')}
        <select data-testid="phone-mic" value={input} onChange={(e) => { const v = e.currentTarget.value; setInput(v); void phone?.setInput(v || null); }}>
          <option value="">{t('phoneDefaultDevice')}</option>
          {mics.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `${t('phoneMicrophone')} ${i + 1}`}</option>)}
        </select>
      </label>
      <label>
        {t('phoneSpeaker')}
        <select data-testid="phone-speaker" value={output} disabled={speakers.length === 0} onChange={(e) => { const v = e.currentTarget.value; setOutput(v); void phone?.setOutput(v || null); }}>
          <option value="">{t('phoneDefaultDevice')}</option>
          {speakers.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `${t('phoneSpeaker')} ${i + 1}`}</option>)}
        </select>
      </label>
    </div>
  );
}

/** Answer / Decline, in the pop and in the panel, while the page rings. */
export function RingControls() {
  const s = usePhone();
  if (!s || s.call !== 'incoming') return null;
  return (
    <div class="phone-ring" role="group" aria-label={t('phoneIncoming')}>
      <button type="button" class="phone-answer" data-testid="phone-answer" onClick={() => void phone?.answer()}>{t('phoneAnswer')}</button>
      <button type="button" class="secondary phone-decline" data-testid="phone-decline" onClick={() => phone?.decline()}>{t('phoneDecline')}</button>
    </div>
  );
}

export function SoftphonePanel() {
  const audio = useRef<HTMLAudioElement>(null);
  const [, setReady] = useState(false);
  const [number, setNumber] = useState('');
  const [transferTo, setTransferTo] = useState('');
  const [keypad, setKeypad] = useState(false);
  const [devices, setDevices] = useState(false);
  const [sent, setSent] = useState('');

  useEffect(() => {
    let p: BrowserPhone | null = null;
    let gone = false;
    const bye = () => void p?.stop();
    void import('./phone.js').then(({ BrowserPhone: Phone }) => {
      if (gone) return;
      p = new Phone(audio.current!);
      phone = p;
      setReady(true);
      phoneListeners.forEach((l) => l());
      p.start();
      addEventListener('pagehide', bye);
    });
    return () => {
      gone = true;
      removeEventListener('pagehide', bye);
      void p?.stop();
      if (p && phone === p) phone = null;
      phoneListeners.forEach((l) => l());
    };
  }, []);

  const s = usePhone();
  useRingTone(s?.call === 'incoming' && !s.autoAnswered);
  useEffect(() => { if (s?.call === 'idle') { setSent(''); setKeypad(false); } }, [s?.call]);

  const registered = s?.registration === 'registered';
  return (
    <aside class={`softphone softphone-${s?.registration ?? 'off'}`} data-testid="softphone" data-registration={s?.registration ?? 'off'} data-call={s?.call ?? 'idle'}
      data-muted={s?.muted ? 'yes' : 'no'} data-held={s?.held ? 'yes' : 'no'} aria-label={t('phoneTitle')}>
      <audio ref={audio} autoplay data-testid="phone-audio" />
      <header>
        <span class="phone-dot" aria-hidden="true" />
        <strong>{t('phoneTitle')}</strong>
        <button type="button" class="outline secondary small" data-testid="phone-devices-toggle" aria-expanded={devices} onClick={() => setDevices(!devices)}>{t('phoneDevices')}</button>
        <small data-testid="phone-state" data-state={s?.registration ?? 'off'} role="status">{s ? stateText(s) : t('phoneOff')}</small>
      </header>
      {devices && <Devices />}
      {s && s.call === 'idle' && (
        <form class="phone-dial" onSubmit={(e) => { e.preventDefault(); if (number.trim()) void phone?.call(number.trim()); }}>
          <input data-testid="phone-number" inputMode="tel" placeholder={t('phoneNumber')} aria-label={t('phoneNumber')} value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
          <button type="submit" data-testid="phone-call" disabled={!registered || !number.trim()}>{t('call')}</button>
        </form>
      )}
      {s && s.call !== 'idle' && (
        <div class="phone-call" data-testid="phone-call-panel">
          <p>
            {s.call === 'incoming' ? t('phoneIncoming') : s.call === 'outgoing' ? t('phoneCalling') : s.held ? t('phoneOnHold') : t('phoneTalking')}
            {' '}<strong data-testid="phone-remote">{s.remote?.name && s.remote.name !== s.remote.number ? `${s.remote.name} ` : ''}{s.remote?.number}</strong>
            {s.call === 'active' && s.answeredAt && <> · <Timer since={s.answeredAt} /></>}
          </p>
          <RingControls />
          {s.call === 'active' && (
            <div class="phone-buttons">
              <button type="button" class="outline" data-testid="phone-mute" aria-pressed={s.muted} onClick={() => phone?.setMuted(!s.muted)}>{s.muted ? t('phoneUnmute') : t('phoneMute')}</button>
              <button type="button" class="outline" data-testid="phone-hold" aria-pressed={s.held} onClick={() => void phone?.setHeld(!s.held).catch(() => undefined)}>{s.held ? t('phoneResume') : t('phoneHold')}</button>
              <button type="button" class="outline" data-testid="phone-keypad-toggle" aria-expanded={keypad} onClick={() => setKeypad(!keypad)}>{t('phoneKeypad')}</button>
            </div>
          )}
          {s.call === 'active' && keypad && (
            <div class="phone-keypad" data-testid="phone-keypad">
              {KEYS.map((k) => <button type="button" key={k} class="outline secondary" data-testid={`phone-key-${k === '*' ? 'star' : k === '#' ? 'hash' : k}`} onClick={() => { phone?.sendDtmf(k); setSent((x) => x + k); }}>{k}</button>)}
              <output data-testid="phone-dtmf-sent">{sent}</output>
            </div>
          )}
          {s.call === 'active' && (
            <form class="phone-transfer" onSubmit={(e) => { e.preventDefault(); if (transferTo.trim()) void phone?.transfer(transferTo.trim()); }}>
              <input data-testid="phone-transfer-to" inputMode="tel" placeholder={t('phoneNumber')} aria-label={t('phoneTransferTo')} value={transferTo} onInput={(e) => setTransferTo(e.currentTarget.value)} />
              <button type="submit" class="outline" data-testid="phone-transfer" disabled={!transferTo.trim() || s.transfer === 'sending'}>{t('phoneTransfer')}</button>
              {s.transfer === 'failed' && <small class="error" role="alert">{t('phoneTransferFailed')}</small>}
            </form>
          )}
          {s.call !== 'incoming' && <button type="button" class="phone-hangup" data-testid="phone-hangup" onClick={() => phone?.hangup()}>{t('phoneHangup')}</button>}
        </div>
      )}
    </aside>
  );
}
