// The calls of the sandbox benches (bench/calls.ts): a driver that keeps N real calls in progress on the
// sandbox Asterisk (AMI Originate, tests/support/sandbox.ts inboundCall; the dialplan records every
// call), what the browsers got for them (bench/sandbox-load.ts PopSockets), and the comparison of every
// logged call with Asterisk's CDR.
import { dialTo, inboundCall, onAmiEvent, readCdr, sandboxAmi, type AmiMessage, type CdrRow } from '../tests/support/sandbox.js';
import { api } from '../tests/support/service.js';
import { now } from './replay.js';
import { PHONES, sleep, type PopSockets } from './sandbox-load.js';

// ------------------------------------------------------------------ the calls

export interface BenchCall {
  linkedid: string;
  extension: string;
  from: string;
  talkSeconds: number;
  startedAt: number;
  /** Asterisk's Timestamp of the DialBegin to the phone (epoch ms). */
  dialAt?: number;
  /** When that DialBegin reached the bench's own AMI connection: how late Asterisk delivers its events. */
  dialSeenAt?: number;
  /** When the client's half hung up (the end of the talk). */
  endedAt?: number;
  /** Why the call did not go through (Originate failed, or nothing rang). */
  failed?: string;
}

const str = (v: AmiMessage[string] | undefined): string => (typeof v === 'string' ? v : '');

export interface LoadOptions {
  concurrency: number;
  /** How long to keep `concurrency` calls in progress once they are. */
  seconds: number;
  /** Mean talk time; each call talks between half and one and a half times it. */
  talk: number;
  /** At most this many new calls a second (the ramp up, and replacing calls that end). */
  rate?: number;
  /** Called about once a second while the calls run, with the calls in progress. */
  onTick?: (inProgress: number) => void | Promise<void>;
  /** Called when `concurrency` calls are first in progress (the steady state begins). */
  onSteady?: () => void;
}

/**
 * Real inbound calls on the sandbox Asterisk: keeps `concurrency` of them in progress for `seconds`
 * (a call that ends is replaced by a new one), each from a number of its own to a DID that rings one
 * of PHONES (round robin), then waits until every call has ended.
 */
export class CallDriver {
  readonly calls: BenchCall[] = [];
  private byLinkedid = new Map<string, BenchCall>();
  /** Events of a linkedid not known yet: an Originate's response may come after its call's first events. */
  private early = new Map<string, { dial?: { at: number; seenAt: number; channel: string }; endedAt?: number }>();
  private off: () => void = () => {};
  private serial = 0;

  async start(): Promise<void> {
    await sandboxAmi();
    this.off = onAmiEvent((e) => {
      const ev = str(e['event']);
      if (ev === 'DialBegin' && str(e['destchannel']).startsWith('PJSIP/')) {
        const id = str(e['destlinkedid']) || str(e['linkedid']);
        const dial = { at: Number(str(e['timestamp'])) * 1000, seenAt: now(), channel: str(e['destchannel']) };
        const c = this.byLinkedid.get(id);
        if (c) this.dialed(c, dial);
        else this.early.set(id, { ...this.early.get(id), dial: this.early.get(id)?.dial ?? dial });
      } else if (ev === 'Hangup') {
        // The originated channel (the client's half) carries the linkedid as its uniqueid.
        const id = str(e['uniqueid']);
        const c = this.byLinkedid.get(id);
        if (c) c.endedAt ??= Date.now();
        else this.early.set(id, { ...this.early.get(id), endedAt: Date.now() });
      }
    });
  }

  private dialed(c: BenchCall, d: { at: number; seenAt: number; channel: string }): void {
    if (c.dialAt !== undefined || !d.channel.startsWith(`PJSIP/${c.extension}-`)) return;
    c.dialAt = d.at;
    c.dialSeenAt = d.seenAt;
  }

  private known(c: BenchCall): void {
    this.byLinkedid.set(c.linkedid, c);
    const e = this.early.get(c.linkedid);
    if (!e) return;
    this.early.delete(c.linkedid);
    if (e.dial) this.dialed(c, e.dial);
    if (e.endedAt !== undefined) c.endedAt ??= e.endedAt;
  }

  stop(): void { this.off(); }

  private async place(talk: number): Promise<BenchCall> {
    const k = this.serial++;
    const extension = PHONES[k % PHONES.length]!;
    const talkSeconds = Math.max(2, Math.round(talk * (0.5 + Math.random())));
    const from = `+7916${String(process.pid % 1000).padStart(3, '0')}${String(k).padStart(4, '0')}`;
    const call: BenchCall = { linkedid: '', extension, from, talkSeconds, startedAt: Date.now() };
    try {
      const h = await inboundCall({ from, did: `7495000${extension.padStart(4, '0')}`, talkSeconds, timeoutSeconds: 30 });
      call.linkedid = h.linkedid;
      this.known(call);
      void h.originateResponse.then((r) => {
        if (str(r['response']) !== 'Success') { call.failed = `Originate: ${str(r['reason']) || str(r['response'])}`; call.endedAt ??= Date.now(); }
      }, () => { call.failed = 'no OriginateResponse'; call.endedAt ??= Date.now(); });
    } catch (err) {
      call.failed = (err as Error).message;
      call.endedAt = Date.now();
    }
    this.calls.push(call);
    return call;
  }

  /** Runs one load; returns the calls it placed. */
  async run(o: LoadOptions): Promise<BenchCall[]> {
    const mine: BenchCall[] = [];
    const rate = o.rate ?? 10;
    let steadyUntil = Infinity;
    let lastTick = 0;
    const active = () => mine.filter((c) => c.endedAt === undefined).length;
    for (;;) {
      const t = Date.now();
      if (t >= steadyUntil) break;
      // Up to rate/10 new calls every 100 ms while fewer than `concurrency` are in progress.
      for (let i = 0; i < Math.max(1, rate / 10) && active() < o.concurrency; i++) mine.push(await this.place(o.talk));
      if (steadyUntil === Infinity && active() >= o.concurrency) {
        steadyUntil = Date.now() + o.seconds * 1000;
        o.onSteady?.();
      }
      if (t - lastTick >= 1000) {
        lastTick = t;
        await o.onTick?.(active());
      }
      await sleep(100);
    }
    // Every call ends by itself (the client hangs up after its talk time); a call stuck for longer
    // than its talk, its ring and a margin is left as it is, and shows as not agreeing.
    const deadline = Date.now() + (o.talk * 1.5 + 40) * 1000;
    while (active() > 0 && Date.now() < deadline) {
      if (Date.now() - lastTick >= 1000) { lastTick = Date.now(); await o.onTick?.(active()); }
      await sleep(200);
    }
    for (const c of mine) if (c.dialAt === undefined) c.failed ??= 'no DialBegin to the phone';
    this.early.clear(); // every call is known by now: what is left are the other channels' hangups
    return mine;
  }
}

// ------------------------------------------------------------------ pops and the CDR

export interface PopFigures {
  /** Latency from the DialBegin's Timestamp to the socket, per instance (index), all sockets together. */
  latencies: Map<number, number[]>;
  /** Pops that some socket of the ringing manager never got. */
  missing: number;
  /** The DialBegin's Timestamp to its arrival on the bench's AMI connection (Asterisk's part of the latency). */
  amiDelivery: number[];
}

/** What the sockets got for these calls: every expected pop's latency, per instance, and how many never came. */
export function popFigures(calls: BenchCall[], sockets: PopSockets, instances: number): PopFigures {
  const byLinkedid = new Map(calls.map((c) => [c.linkedid, c]));
  const latencies = new Map<number, number[]>();
  for (let i = 0; i < instances; i++) latencies.set(i, []);
  let got = 0;
  for (const p of sockets.pops) {
    const c = byLinkedid.get(p.linkedId);
    if (!c || c.dialAt === undefined) continue;
    latencies.get(p.instance)!.push(p.at - c.dialAt);
    got++;
  }
  const expected = calls.filter((c) => c.dialAt !== undefined).reduce((s, c) => s + sockets.sockets(c.extension), 0);
  const amiDelivery = calls.filter((c) => c.dialSeenAt !== undefined).map((c) => c.dialSeenAt! - c.dialAt!);
  return { latencies, missing: expected - got, amiDelivery };
}

interface LoggedCall { linkedId: string; state: string; disposition: string | null; extension: string | null; ringSeconds: number; talkSeconds: number }

/** Every call the service logged since `from` (the API, as a supervisor, page by page). */
async function loggedCalls(svc: { url: string }, token: string, from: number): Promise<Map<string, LoggedCall>> {
  const out = new Map<string, LoggedCall>();
  let cursor: string | null = null;
  do {
    const q: URLSearchParams = new URLSearchParams({ from: new Date(from).toISOString(), limit: '500', ...(cursor ? { cursor } : {}) });
    const r: { body: { items: LoggedCall[]; nextCursor: string | null } } = await api(svc, `/api/v1/calls?${q}`, token);
    for (const c of r.body.items) out.set(c.linkedId, c);
    cursor = r.body.nextCursor;
  } while (cursor);
  return out;
}

/** Why a logged call does not agree with the CDR's Dial row to its phone (to the second), or null when it does. */
function disagreement(c: BenchCall, logged: LoggedCall | undefined, rows: CdrRow[]): string | null {
  if (!logged) return 'not logged';
  if (logged.state !== 'ended') return `logged ${logged.state}`;
  const dial = rows.find(dialTo(c.extension));
  if (!dial) return 'no CDR Dial row to the phone';
  const cdrDisposition = dial.disposition === 'ANSWERED' ? 'answered' : dial.disposition.toLowerCase();
  if (logged.disposition !== cdrDisposition) return `disposition ${logged.disposition} vs CDR ${dial.disposition}`;
  if (logged.extension !== c.extension) return `extension ${logged.extension} vs ${c.extension}`;
  if (Math.abs(logged.talkSeconds - dial.billsec) > 1) return `talk ${logged.talkSeconds} s vs CDR billsec ${dial.billsec}`;
  const ring = dial.duration - dial.billsec;
  if (Math.abs(logged.ringSeconds - ring) > 1) return `ring ${logged.ringSeconds} s vs CDR ${ring}`;
  return null;
}

export interface Agreement { placed: number; failed: number; logged: number; agree: number; reasons: Map<string, number> }

/**
 * Compares every call that went through with the service's log and Asterisk's CDR, once the CDR rows
 * and the logged calls are all there (or `timeoutMs` has passed: what is missing then counts as such).
 */
export async function compareWithCdr(svc: { url: string }, token: string, calls: BenchCall[], timeoutMs = 60_000): Promise<Agreement> {
  const placed = calls.filter((c) => c.linkedid);
  const through = placed.filter((c) => !c.failed);
  const from = Math.min(...placed.map((c) => c.startedAt)) - 60_000;
  const deadline = Date.now() + timeoutMs;
  let logged = new Map<string, LoggedCall>();
  let cdr = new Map<string, CdrRow[]>();
  for (;;) {
    logged = await loggedCalls(svc, token, from);
    cdr = new Map();
    for (const r of readCdr()) {
      if (!cdr.has(r.linkedid)) cdr.set(r.linkedid, []);
      cdr.get(r.linkedid)!.push(r);
    }
    const done = through.every((c) => logged.get(c.linkedid)?.state === 'ended' && (cdr.get(c.linkedid) ?? []).some(dialTo(c.extension)));
    if (done || Date.now() > deadline) break;
    await sleep(1000);
  }
  const reasons = new Map<string, number>();
  let agree = 0;
  for (const c of through) {
    const why = disagreement(c, logged.get(c.linkedid), cdr.get(c.linkedid) ?? []);
    if (why === null) agree++;
    else {
      const kind = why.replace(/[0-9]+/g, 'N');
      reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
    }
  }
  for (const c of calls) if (c.failed) reasons.set(c.failed, (reasons.get(c.failed) ?? 0) + 1);
  return { placed: calls.length, failed: calls.filter((c) => c.failed).length, logged: placed.filter((c) => logged.has(c.linkedid)).length, agree, reasons };
}

export function formatAgreement(a: Agreement): string {
  const why = [...a.reasons].map(([k, n]) => `${n} ${k}`).join('; ');
  return `calls ${a.placed}, failed ${a.failed}, logged ${a.logged}, agree with the CDR ${a.agree}${why ? ` (${why})` : ''}`;
}
