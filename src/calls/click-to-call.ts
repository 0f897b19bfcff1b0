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
// When the manager's phone never answers the dialplan never runs: Asterisk's event log still shows a
// phone an Originate rang with the client's number as its caller ID, which the interpreter reads.
// An unregistered phone gets no channel at all: only AMI OriginateResponse (Failure) says so. That
// response cannot tell it apart from a busy one (Asterisk 22 gives both Reason 0) and it may overtake the
// event log's first record of the phone's channel, so "not registered" waits a moment (ORIGINATE_GRACE_MS)
// for a channel: once one is seen, its end tells the reason.
// Before anything reaches the PBX the dial policy (dial-policy.ts) checks the number (403 with the
// reason) and the user's limits (429): each request takes a place until its call is over.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { assertSeesClient, isManager } from '../contacts/context.js';
import { matchNumber } from '../contacts/match.js';
import type { Db } from '../db/client.js';
import { first } from '../db/query.js';
import { clients, contacts, users } from '../db/schema/index.js';
import { CtiError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { parsePhone } from '../lib/phone.js';
import type { DialStatus } from '../pbx/events.js';
import type { OriginateFailure, PbxLink } from '../pbx/pbx.js';
import type { C2cProgress, C2cReason, C2cStage } from '../contract/index.js';
import { checkDestination, DENY_MESSAGES, DialLimiter, type DialPolicy } from './dial-policy.js';
import type { Actor } from '../users/users.js';
import type { CallSnapshot } from './snapshot.js';
import type { CallTracker } from './tracker.js';

/** How long the manager's phone rings before Originate gives up (ms), unless CTI_CLICK_TO_CALL_RING_S says otherwise. */
const RING_MS = 30_000;
/** A request nothing was heard of for this long after the manager's ring time is failed and forgotten. */
const SILENCE_AFTER_RING_MS = 15_000;
/**
 * How long a failed Originate waits for the event log to show the phone's channel before the manager is
 * told "not registered" (the response overtook the phone's CHAN_START by a few ms on a loaded PBX).
 */
export const ORIGINATE_GRACE_MS = 1_000;

interface Pending {
  requestId: string;
  userId: string;
  stage: 'requested' | C2cStage;
  timer: NodeJS.Timeout;
  /** A failed Originate's wait for the phone's channel (ORIGINATE_GRACE_MS), if one is running. */
  grace: NodeJS.Timeout | null;
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
    /** Each PBX's link and call tracker, by PBX id: a manager's call is placed on the PBX their extension is on. */
    pbxes: ReadonlyMap<string, { link: PbxLink; tracker: CallTracker | null }>;
    notify: (userId: string, p: C2cProgress) => void;
    log: Logger;
    policy: DialPolicy;
    /** How long the manager's own phone rings (CTI_CLICK_TO_CALL_RING_S); 30 s if not given. */
    ringMs?: number;
    /** The limiter's clock (tests). */
    now?: () => number;
  }) {
    this.limiter = new DialLimiter(deps.policy.limits, deps.now);
    for (const { link, tracker } of deps.pbxes.values()) {
      if (tracker) this.follow(tracker);
      link.on('clickToCallFailed', (f) => this.onOriginateFailed(f));
    }
  }

  /** Progress from a PBX's tracker: request ids are ours (random), so no two PBXs' calls answer one request. */
  private follow(t: CallTracker): void {
    t.on('legRinging', (snap, _leg, info) => { if (info.originate) this.advance(snap, 'calling_you'); });
    t.on('legAnswered', (snap, _leg, info) => { if (info.originate) this.advance(snap, 'calling_client'); });
    t.on('updated', (snap) => { if (snap.state === 'talking') this.advance(snap, 'talking'); });
    t.on('legEnded', (snap, leg, info) => {
      // The manager's own phone stopped before the client was dialled: busy, no answer, not registered.
      if (info.originate && leg.answeredAt === null) this.advance(snap, 'failed', reasonOf(info.status, 'you'));
    });
    t.on('ended', (snap) => {
      const p = this.find(snap);
      if (!p) return;
      if (p.stage === 'talking') this.advance(snap, 'ended');
      else this.advance(snap, 'failed', reasonOf(snap.lastDialStatus, p.stage === 'calling_client' ? 'client' : 'you'));
    });
  }

  /** The request a call answers: one of the linkedids the call has carried is the request's id. */
  private find(snap: CallSnapshot): Pending | undefined {
    for (const a of snap.linkedIds) {
      const p = this.pending.get(a);
      if (p) return p;
    }
    return undefined;
  }

  private advance(call: CallSnapshot | string, stage: C2cStage, reason?: C2cReason): void {
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
      this.settle(p);
      this.pending.delete(p.requestId);
    }
  }

  /** The manager's own phone failed before the dialplan ran: every reason here is about it, not the client. */
  private onOriginateFailed(f: { requestId: string; reason: OriginateFailure }): void {
    const p = this.pending.get(f.requestId);
    if (!p) return;
    if (f.reason === 'busy') this.advance(p.requestId, 'failed', 'you_busy');
    else if (f.reason === 'no_answer') this.advance(p.requestId, 'failed', 'you_no_answer');
    else if (p.stage === 'requested' && !p.grace) {
      // No channel of the phone seen yet: either it had none (not registered, or it hung up at once) or
      // the event log's record of it is still on its way. A channel seen in the meantime moves the stage
      // on, and its end tells the reason instead.
      const reason: C2cReason = f.reason === 'hung_up' ? 'you_rejected' : 'not_registered';
      p.grace = setTimeout(() => { if (p.stage === 'requested') this.advance(p.requestId, 'failed', reason); }, ORIGINATE_GRACE_MS);
      p.grace.unref();
    }
    // Otherwise the tracker saw the phone ring and its hang-up tells the reason.
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
      const row = await first(ctx.db.select({ ownerId: clients.ownerId }).from(contacts).innerJoin(clients, eq(clients.id, contacts.clientId))
        .where(eq(contacts.id, input.contactId)));
      if (!row) throw new CtiError('CTI_ERR_CONTACT_NOT_FOUND');
      assertSeesClient(ctx.actor, row);
    }
    if (isManager(ctx.actor)) {
      const m = await matchNumber(ctx.db, e164);
      if (m && m.ownerId !== ctx.actor.id) throw new CtiError('CTI_ERR_FORBIDDEN', "This number belongs to another manager's client");
    }
    // A browser phone is told which ring is the one it asked for (X-CTI-Request: our requestId), so the
    // page answers it at once instead of ringing its own user (web/src/softphone).
    const browser = (await first(ctx.db.select({ mode: users.phoneMode }).from(users).where(eq(users.id, ctx.actor.id))))?.mode === 'browser';
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
    const pbx = this.deps.pbxes.get(ctx.actor.pbxId)?.link;
    if (!pbx || !pbx.amiConnected) {
      admission.release();
      throw new CtiError('CTI_ERR_PBX_UNAVAILABLE');
    }
    const requestId = randomUUID();
    const digits = e164.slice(1);
    const ringMs = this.deps.ringMs ?? RING_MS;
    const timer = setTimeout(() => this.advance(requestId, 'failed', 'pbx_unavailable'), ringMs + SILENCE_AFTER_RING_MS);
    timer.unref();
    this.pending.set(requestId, { requestId, userId: ctx.actor.id, stage: 'requested', timer, grace: null, release: admission.release });
    try {
      await pbx.clickToCall({ requestId, extension: ext, digits, ringMs, tagBrowser: browser });
    } catch (err) {
      this.deps.log.warn({ err, requestId, ext }, 'click-to-call: Originate refused');
      this.advance(requestId, 'failed', 'pbx_unavailable');
      throw err instanceof CtiError && err.code === 'CTI_ERR_PBX_TIMEOUT' ? err : new CtiError('CTI_ERR_PBX_UNAVAILABLE', 'The PBX refused the call');
    }
    return { requestId };
  }

  stop(): void {
    for (const p of this.pending.values()) this.settle(p);
    this.pending.clear();
  }

  /** A request is over: its timers stop and its place under the limits is free. */
  private settle(p: Pending): void {
    clearTimeout(p.timer);
    if (p.grace) clearTimeout(p.grace);
    p.release();
  }
}
