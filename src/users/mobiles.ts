// Whose mobile a number is, answered synchronously for the call tracker: it interprets PBX events in
// order, one at a time, with no await (src/calls/call.ts, `mobileExtension`), so it cannot wait on the
// database for each leg. A copy of the users' mobiles (a few hundred rows), read again whenever this
// service changes a user (`refresh`) and every `refreshMs`, for changes made by another process
// (`cti user add` beside a running service, a second service on the same PostgreSQL): those are heard
// of within that time. Everything else asks the database (whoseMobile, src/users/directory.ts).
import { isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { users } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import { toE164 } from '../lib/phone.js';

export class MobileDirectory {
  /** E.164 mobile -> its user's PBX and extension (extension null: a mobile-only user). */
  private byMobile = new Map<string, { pbxId: string; extension: string | null }>();
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private again = false;

  constructor(private readonly deps: { db: Db; region: string; log: Logger; refreshMs?: number }) {}

  /** Reads the mobiles, then again every refreshMs (default 15 s) until stop(). */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.deps.refreshMs ?? 15_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the mobiles again (one read at a time; a call during one reads once more after it). Never rejects. */
  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        try {
          const rows = await this.deps.db.select({ mobile: users.mobile, pbxId: users.pbxId, extension: users.extension }).from(users).where(isNotNull(users.mobile));
          this.byMobile = new Map(rows.map((r) => [r.mobile!, { pbxId: r.pbxId, extension: r.extension }]));
        } catch (err) {
          this.deps.log.error({ err }, "could not read the users' mobiles; keeping the last ones");
        }
      } while (this.again);
    })().finally(() => { this.reading = null; });
    return this.reading;
  }

  /**
   * The extension on PBX `pbx` of the user whose mobile `number` is (any form the PBX dials or reports,
   * read in the region like every number), or null: nobody's, a mobile-only user's, or a user of another
   * PBX (whose extension means nothing on this one).
   */
  extensionOf(pbx: string, number: string | null | undefined): string | null {
    const e164 = toE164(number, this.deps.region);
    const owner = e164 ? this.byMobile.get(e164) : undefined;
    return owner && owner.pbxId === pbx ? owner.extension : null;
  }
}
