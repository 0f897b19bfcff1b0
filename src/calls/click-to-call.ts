// Click-to-call: AMI Originate rings the manager's own phone, and once they answer the dialplan
// (cti-click2call) dials the client. We choose the ChannelId, so the call's linkedid is known up front
// (the request id), and progress is read off the call tracker's events for that linkedid:
//
//   requested ─► calling_you ─► calling_client ─► talking ─► ended
//        │            │               │
//        └────────────┴───────────────┴─► failed (reason: whose side failed and how, C2cReason)
//
// Failed while calling_you: the manager's own phone (not_registered, you_busy, you_no_answer,
// you_rejected); while calling_client: the client's line (client_busy, client_no_answer, client_rejected).
// The tracker is told the request up front (expectClickToCall): when the manager's phone never answers,
// the dialplan never runs and only we know the call was a click-to-call to that client.
// An unregistered phone gets no channel at all: only AMI OriginateResponse (Failure) says so.
// Before anything reaches the PBX the dial policy (dial-policy.ts) checks the number (403 with the
// reason) and the user's limits (429): each request takes a place until its call is over.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { assertSeesClient, isManager } from '../contacts/context.js';
import { matchNumber } from '../contacts/match.js';
import type { Db } from '../db/client.js';
import { clients, contacts, users } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { parsePhone } from '../lib/phone.js';
import type { DialStatus, PbxEvent } from '../pbx/events.js';
import type { Pbx } from '../pbx/pbx.js';
import type { C2cProgress, C2cReason, C2cStage } from '../contract/index.js';
import { checkDestination, DENY_MESSAGES, DialLimiter, type DialPolicy } from './dial-policy.js';
import type { Actor } from '../users/users.js';
import type { Call } from './call.js';
import type { CallTracker } from './tracker.js';

/** How long the manager's phone rings before Originate gives up (ms). */
const RING_MS = 30_000;
/** A request nothing was heard of for this long is failed and forgotten. */
const SILENCE_MS = RING_MS + 15_000;

interface Pending {
  requestId: string;
  userId: string;
  stage: 'requested' | C2cStage;
  timer: NodeJS.Timeout;
  /** Frees the user's place under the concurrency limit. */
  release: () => void;
}

export interface ClickToCallContext {
  db: Db;
  actor: Actor;
  region: string;
}

/** DIALSTATUS of a dial that did not answer -> what the manager is told. */
function reasonOf(status: DialStatus | null, party: 'you' | 'client'): C2cReason {
  switch (status) {
    case 'BUSY': return `${party}_busy`;
    case 'NOANSWER': case 'CANCEL': case null: return `${party}_no_answer`;
    case 'CHANUNAVAIL': return party === 'you' ? 'not_registered' : 'client_rejected';
    default: return `${party}_rejected`;
  }
}

export class ClickToCall {
  private readonly pending = new Map<string, Pending>();
  private readonly limiter: DialLimiter;

  constructor(private readonly deps: {
    pbx: Pbx | null;
    tracker: CallTracker | null;
    notify: (userId: string, p: C2cProgress) => void;
    log: Logger;
    policy: DialPolicy;
    /** The limiter's clock (tests). */
    now?: () => number;
  }) {
    this.limiter = new DialLimiter(deps.policy.limits, deps.now);
    const t = deps.tracker;
    if (t) {
      t.on('legRinging', (call, _leg, info) => { if (info.originate) this.advance(call, 'calling_you'); });
      t.on('legAnswered', (call, _leg, info) => { if (info.originate) this.advance(call, 'calling_client'); });
      t.on('updated', (call) => { if (call.state === 'talking') this.advance(call, 'talking'); });
      t.on('legEnded', (call, leg, info) => {
        // The manager's own phone stopped before the client was dialled: busy, no answer, not registered.
        if (info.originate && leg.answeredAt === null) this.advance(call, 'failed', reasonOf(info.status, 'you'));
      });
      t.on('ended', (call) => {
        const p = this.find(call);
        if (!p) return;
        if (p.stage === 'talking') this.advance(call, 'ended');
        else this.advance(call, 'failed', reasonOf(call.lastDialStatus, p.stage === 'calling_client' ? 'client' : 'you'));
      });
    }
    deps.pbx?.on('event', (e) => this.onPbx(e));
  }

  private find(call: Call): Pending | undefined {
    for (const a of call.aliases) {
      const p = this.pending.get(a);
      if (p) return p;
    }
    return undefined;
  }

  private advance(call: Call | string, stage: C2cStage, reason?: C2cReason): void {
    const p = typeof call === 'string' ? this.pending.get(call) : this.find(call);
    if (!p || p.stage === stage) return;
    const order = ['requested', 'calling_you', 'calling_client', 'talking'];
    // Stages only move forward (a late event of an earlier stage is ignored).
    if (order.includes(stage) && order.indexOf(stage) < order.indexOf(p.stage)) return;
    p.stage = stage;
    const msg: C2cProgress = { requestId: p.requestId, stage };
    if (reason) msg.reason = reason;
    if (typeof call !== 'string') msg.callId = call.id;
    this.deps.notify(p.userId, msg);
    if (stage === 'ended' || stage === 'failed') {
      clearTimeout(p.timer);
      p.release();
      this.pending.delete(p.requestId);
    }
  }

  private onPbx(e: PbxEvent): void {
    if (e.type !== 'originate.response' || e.success) return;
    const id = e.actionId.startsWith('c2c-') ? e.actionId.slice(4) : e.uniqueId;
    const p = id ? this.pending.get(id) : undefined;
    if (!p) return;
    // Reason: 5 busy, 3 ring timeout, 1 hung up; 0 or 8 with no channel seen: the phone is not there.
    // Originate's dial is the manager's phone: every reason here is about it, not the client.
    if (e.reason === 5) this.advance(p.requestId, 'failed', 'you_busy');
    else if (e.reason === 3) this.advance(p.requestId, 'failed', 'you_no_answer');
    else if (p.stage === 'requested') this.advance(p.requestId, 'failed', e.reason === 1 ? 'you_rejected' : 'not_registered');
    // Otherwise the tracker saw the phone ring and its DialEnd/Hangup tell the reason.
  }

  /** Checks and sends the Originate; progress follows as c2c:progress events to the actor's sockets. */
  async start(ctx: ClickToCallContext, input: { number: string; contactId?: string | null }): Promise<{ requestId: string }> {
    const ext = ctx.actor.extension;
    if (!ext) throw new CtiError('CTI_ERR_NO_EXTENSION');
    const e164 = parsePhone(input.number, ctx.region)?.e164;
    if (!e164) throw new CtiError('CTI_ERR_BAD_REQUEST', `number: '${input.number.slice(0, 40)}' is not a phone number`);
    const verdict = checkDestination(this.deps.policy, e164);
    if (!verdict.allowed) {
      this.deps.log.info({ userId: ctx.actor.id, ext, number: e164, reason: verdict.reason }, 'click-to-call: destination refused by the dial policy');
      throw new CtiError('CTI_ERR_DESTINATION_DENIED', DENY_MESSAGES[verdict.reason], { reason: verdict.reason, number: e164 });
    }
    if (input.contactId) {
      const row = ctx.db.select({ ownerId: clients.ownerId }).from(contacts).innerJoin(clients, eq(clients.id, contacts.clientId))
        .where(eq(contacts.id, input.contactId)).get();
      if (!row) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND');
      assertSeesClient(ctx.actor, row);
    }
    if (isManager(ctx.actor)) {
      const m = matchNumber(ctx.db, e164);
      if (m && m.ownerId !== ctx.actor.id) throw new CtiError('CTI_ERR_FORBIDDEN', "This number belongs to another manager's client");
    }
    // Counted before the PBX is asked: a request the PBX then refuses still took its place in the minute.
    const admission = this.limiter.admit(ctx.actor.id);
    if (!admission.ok) {
      this.deps.log.info({ userId: ctx.actor.id, ext, limit: admission.limit }, 'click-to-call: refused by the dial limits');
      if (admission.limit === 'rate') {
        throw new CtiError('CTI_ERR_DIAL_RATE_LIMITED', `At most ${admission.max} calls a minute; try again in ${admission.retryAfterSeconds} s`,
          { limit: 'rate', max: admission.max, retryAfterSeconds: admission.retryAfterSeconds });
      }
      throw new CtiError('CTI_ERR_DIAL_CONCURRENCY_LIMITED', `At most ${admission.max} of your calls at once`, { limit: 'concurrency', max: admission.max });
    }
    const ami = this.deps.pbx?.ami;
    if (!ami || ami.state !== 'connected') {
      admission.release();
      throw new CtiError('CTI_ERR_PBX_UNAVAILABLE');
    }
    const requestId = randomUUID();
    const digits = e164.slice(1);
    // A browser phone is told which ring is the one it asked for (X-CTI-Request: our requestId), so the
    // page answers it at once instead of ringing its own user (web/src/softphone).
    const browser = ctx.db.select({ mode: users.phoneMode }).from(users).where(eq(users.id, ctx.actor.id)).get()?.mode === 'browser';
    const timer = setTimeout(() => this.advance(requestId, 'failed', 'pbx_unavailable'), SILENCE_MS);
    timer.unref();
    this.pending.set(requestId, { requestId, userId: ctx.actor.id, stage: 'requested', timer, release: admission.release });
    try {
      // Asterisk 22 manager_originate: ChannelId sets the originated channel's Uniqueid (= the linkedid).
      await ami.action({
        action: 'Originate', actionid: `c2c-${requestId}`,
        channel: `PJSIP/${ext}`, context: 'cti-click2call', exten: digits, priority: 1,
        channelid: requestId, callerid: `"${digits}" <${digits}>`, timeout: RING_MS, async: 'true',
        ...(browser ? { variable: { 'PJSIP_HEADER(add,X-CTI-Request)': requestId } } : {}),
      });
    } catch (err) {
      this.deps.log.warn({ err, requestId, ext }, 'click-to-call: Originate refused');
      this.advance(requestId, 'failed', 'pbx_unavailable');
      throw err instanceof CtiError && err.code === 'CTI_ERR_PBX_TIMEOUT' ? err : new CtiError('CTI_ERR_PBX_UNAVAILABLE', 'The PBX refused the call');
    }
    return { requestId };
  }

  stop(): void {
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.release(); }
    this.pending.clear();
  }
}
