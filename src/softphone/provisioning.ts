// Keeps Asterisk's browser-phone endpoints in step with the users table: every user in browser mode
// with an extension has one (src/pbx/softphone-endpoints.ts), pushed after every ARI (re)connect (a
// restarted Asterisk has forgotten them) and whenever an admin changes a user. Desk users' extensions
// are cleared of any endpoint we pushed earlier (a service restart forgets what it pushed).
import { and, eq, isNotNull } from 'drizzle-orm';
import { MAIN_PBX } from '../pbx/pbx-id.js';
import type { Db } from '../db/client.js';
import { users } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import type { SoftphoneEndpoints } from '../pbx/softphone-endpoints.js';
import type { UserView } from '../users/users.js';
import { sipPassword } from './credentials.js';

export class SoftphoneProvisioning {
  /** One sync at a time; a request during one runs once more after it. */
  private running: Promise<void> | null = null;
  private again = false;

  /** `pbxId`: the PBX whose users' browser phones these endpoints are (default main). */
  constructor(private readonly deps: { db: Db; endpoints: SoftphoneEndpoints; secret: string | null; log: Logger; pbxId?: string }) {}

  /** Pushes every browser phone and clears desk extensions. Never throws: the next (re)connect retries. */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.syncOnce();
        } catch (err) {
          // The users could not be read (the database): the next (re)connect or user change retries.
          this.deps.log.error({ err }, 'could not provision the browser phones');
        }
      } while (this.again);
    })().finally(() => { this.running = null; });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    // No CTI_SIP_SECRET: no browser phones on this server, and nothing of ours to clear in Asterisk.
    if (!this.deps.secret) return;
    const rows = await this.deps.db.select({ id: users.id, name: users.name, extension: users.extension, phoneMode: users.phoneMode, sipRotation: users.sipRotation })
      .from(users).where(and(isNotNull(users.extension), eq(users.pbxId, this.deps.pbxId ?? MAIN_PBX)));
    const browser = new Set<string>();
    let pushed = 0;
    let failed = 0;
    for (const r of rows) {
      if (r.phoneMode !== 'browser' || !r.extension) continue;
      browser.add(r.extension);
      try {
        await this.deps.endpoints.put({ extension: r.extension, password: sipPassword(this.deps.secret, r.id, r.sipRotation), displayName: r.name });
        pushed++;
      } catch (err) {
        failed++;
        this.deps.log.error({ err: (err as Error).message, extension: r.extension }, 'could not provision the browser phone');
      }
    }
    for (const r of rows) {
      if (!r.extension || browser.has(r.extension)) continue;
      try {
        await this.deps.endpoints.remove(r.extension);
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, extension: r.extension }, 'could not clear a desk extension of a browser phone');
      }
    }
    this.deps.log.info({ pushed, failed }, 'browser phones provisioned');
  }

  /** An admin changed a user: a freed extension loses its endpoint, then everything is pushed again. */
  userChanged(before: UserView | null, after: UserView | null): void {
    void (async () => {
      const old = before?.extension;
      const mine = (v: UserView | null) => (v?.pbx ?? MAIN_PBX) === (this.deps.pbxId ?? MAIN_PBX);
      if (!mine(before) && !mine(after)) return;
      if (old && mine(before) && before?.phoneMode === 'browser' && (after === null || !mine(after) || after.extension !== old || after.phoneMode !== 'browser')) {
        try {
          await this.deps.endpoints.remove(old);
        } catch (err) {
          this.deps.log.warn({ err: (err as Error).message, extension: old }, 'could not remove a browser phone');
        }
      }
      await this.sync();
    })();
  }
}
