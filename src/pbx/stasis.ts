// The service's Stasis application over ARI: inbound calls from dialplan cti-inbound wait here for a
// routing decision. This file knows ARI's JSON and REST calls; src/routing sees only RouteRequest.
// Asterisk docs: ARI StasisStart event (args from Stasis(app,args)), channels/{id}/variable,
// channels/{id}/continue.
// The PBX does not wait for this application longer than CTI_ROUTE_WAIT (1.5 s by default): the dialplan
// (cti-route-ask) sets the channel's absolute timeout around Stasis() and rings the fallback target when
// it expires, so a frozen or killed service costs a caller at most that wait. An answer that comes later
// (the process woken after a SIGSTOP works off its queued StasisStarts) fails with 404/409, because the
// channel has left the application, and changes nothing.
// Two ways to hand the decision back (Stasis' 4th argument picks): by default a channel variable (ARI
// channels/{id}/variable); with `global`, a global variable CTI_ROUTE_<channel id> (ARI asterisk/variable)
// that the dialplan reads and clears. Both shipped dialplans ask for the global (the channel variable
// stays for a dialplan installed before): a dialplan may read "dangerous" functions (DB(), as every
// FreePBX macro does) after the routing, and Asterisk's control.c app_control_set_channel_var (commit
// 8f8ccaf70a, "ARI: Make ARI applications respect live_dangerously") sets the channel thread's
// inhibit-escalations flag and never clears it, so after one ARI setChannelVar every DB() read of that
// call fails ("Dangerous function DB read blocked") unless live_dangerously is on. A global is set in the
// HTTP thread and leaves the channel's thread alone.
import type { AriClient } from 'ari-client';
import type { Logger } from '../lib/logger.js';
import type { AriConnection } from './ari-client.js';

export interface RouteRequest {
  channelId: string;
  callerNumber: string | null;
  did: string;
  /** The DID's own target from the dialplan (cti-did-targets), if it has one. */
  didTarget: string | null;
  /** performance.now() when the StasisStart arrived. */
  receivedAt: number;
  /** True for a channel found waiting after an ARI reconnect. */
  leftover: boolean;
  /** How the dialplan wants the decision: a channel variable, or a global named after the channel. */
  reply?: 'channel' | 'global';
}

/** The global variable a `global` waiter reads its decision from (dialplan/freepbx/extensions_custom_cti.conf). */
export const routeGlobal = (channelId: string): string => `CTI_ROUTE_${channelId}`;

/** The decision, as the dialplan reads it (CTI_ROUTE, see dialplan/extensions_cti.conf). */
export interface RouteReply {
  first: { dial: string; ringSeconds: number; routedBy: string } | null;
  then: { dial: string; ringSeconds: number; routedBy: string };
}

export type RouteHandler = (req: RouteRequest) => Promise<RouteReply>;

export function encodeRoute(r: RouteReply): string {
  const f = r.first;
  return [f?.dial ?? '', f ? String(f.ringSeconds) : '', f?.routedBy ?? '', r.then.dial, String(r.then.ringSeconds), r.then.routedBy].join('|');
}

interface AriChannel {
  id: string;
  caller?: { number?: string };
  dialplan?: { app_name?: string; app_data?: string };
}

export class StasisApp {
  private handler: RouteHandler | null = null;
  /** Channels we are deciding for: a second StasisStart or the reconnect sweep must not answer twice. */
  private pending = new Set<string>();
  /** Measured StasisStart -> continue sent, ms (the last 10,000). */
  readonly decisionTimes: number[] = [];

  constructor(private readonly ari: AriConnection, private readonly appName: string, private readonly log: Logger) {
    ari.on('ready', (client) => this.attach(client));
  }

  onRoute(handler: RouteHandler): void {
    this.handler = handler;
  }

  private attached = new WeakSet<AriClient>();

  private attach(client: AriClient): void {
    // 'ready' comes again after ari-client's own websocket reconnects: listen once per client, sweep each time.
    if (this.attached.has(client)) {
      void this.sweep(client);
      return;
    }
    this.attached.add(client);
    client.on('StasisStart', (event: { args?: string[] }, channel: AriChannel) => {
      const [kind, did, didTarget, reply] = event.args ?? [];
      if (kind !== 'inbound') return;
      void this.route(client, {
        channelId: channel.id, callerNumber: channel.caller?.number || null, did: did ?? '',
        didTarget: didTarget || null, receivedAt: performance.now(), leftover: false, reply: reply === 'global' ? 'global' : 'channel',
      });
    });
    void this.sweep(client);
  }

  /**
   * After (re)connecting: channels left waiting in our application are routed at once. Only a reconnect
   * within CTI_ROUTE_WAIT finds any: the PBX takes longer waiters out of the application itself.
   */
  private async sweep(client: AriClient): Promise<void> {
    try {
      const chans = (await client.channels['list']!()) as AriChannel[];
      const waiting = chans.filter((c) => c.dialplan?.app_name === 'Stasis' && (c.dialplan.app_data ?? '').split(',')[0] === this.appName);
      for (const c of waiting) {
        const parts = (c.dialplan?.app_data ?? '').split(',');
        if (parts[1] !== 'inbound') continue;
        this.log.warn({ channelId: c.id }, 'a call was left waiting in the Stasis application; routing it now');
        void this.route(client, {
          channelId: c.id, callerNumber: c.caller?.number || null, did: parts[2] ?? '', didTarget: parts[3] || null,
          receivedAt: performance.now(), leftover: true, reply: parts[4] === 'global' ? 'global' : 'channel',
        });
      }
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not list channels after the ARI connect');
    }
  }

  private async route(client: AriClient, req: RouteRequest): Promise<void> {
    if (this.pending.has(req.channelId) || !this.handler) return;
    this.pending.add(req.channelId);
    const global = req.reply === 'global';
    let globalSet = false;
    try {
      const reply = await this.handler(req);
      if (global) {
        await client.asterisk.setGlobalVar({ variable: routeGlobal(req.channelId), value: encodeRoute(reply) });
        globalSet = true;
      } else {
        await client.channels['setChannelVar']!({ channelId: req.channelId, variable: 'CTI_ROUTE', value: encodeRoute(reply) });
      }
      const continuing = client.channels['continueInDialplan']!({ channelId: req.channelId });
      const ms = performance.now() - req.receivedAt;
      this.decisionTimes.push(ms);
      if (this.decisionTimes.length > 10_000) this.decisionTimes.shift();
      await continuing;
      this.log.info({ channelId: req.channelId, routedBy: reply.first?.routedBy ?? reply.then.routedBy, ms: Math.round(ms * 10) / 10 }, 'routed');
    } catch (err) {
      // The caller hung up meanwhile (404), the PBX stopped waiting (409: not in the application), or ARI
      // dropped: the dialplan's own fallback takes over.
      this.log.warn({ channelId: req.channelId, err: (err as Error).message }, 'could not continue the channel');
      // Nobody will read (and delete) the global now: delete it ourselves (no value: Asterisk removes it).
      if (globalSet) await client.asterisk.setGlobalVar({ variable: routeGlobal(req.channelId) }).catch(() => undefined);
    } finally {
      this.pending.delete(req.channelId);
    }
  }
}
