// Failed logins, counted where they cannot hurt the innocent (issue 10, item 6):
//   - per (user name, client address): `maxPerUser` failures in the window lock that pair only, so a
//     stranger guessing anna's password locks himself out of anna's account, never anna at her desk;
//   - per client address across all names: a much higher `maxPerAddress`, so one address cannot try
//     name after name, while a company behind one proxy is not locked by a few people's typos.
// A right password clears its pair. The client address is request.ip: X-Forwarded-For counts only when
// CTI_TRUST_PROXY says who the proxy is (src/config/config.ts). Counters are rows in login_failures,
// so a restart keeps a lock; rows older than the window go as new ones come, and the table never holds
// more than MAX_ROWS (the oldest go first), so a flood of failures cannot grow it without bound.
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { and, count, eq, gt, lte, max } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { first, transaction } from '../db/query.js';
import { lockLoginAddress } from '../db/users.js';
import { loginFailures } from '../db/schema/index.js';

export interface LoginLimits {
  /** Failures per (user name, address) in the window before that pair is locked. */
  maxPerUser: number;
  /** Failures per address, whatever the names, in the window before the address is locked. */
  maxPerAddress: number;
  windowMs: number;
  clock?: () => number;
}

export const LOGIN_WINDOW_MS = 15 * 60_000;
const MAX_ROWS = 200_000;

/** How a typed user name is counted: trimmed, NFC, lower-cased, hashed (a password typed as a name is not stored). */
export function userKey(name: string): string {
  return createHash('sha256').update(name.trim().normalize('NFC').toLowerCase()).digest('hex');
}

/**
 * How a client address is counted: an IPv4-mapped IPv6 address as its IPv4 address, an IPv6 address
 * by its /64 (one subscriber's network: RFC 6177 assigns a site at least a /64, so the 2^64 addresses
 * in it are one client), anything else as it is.
 */
export function addressKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(bare)) return bare;
  const [head, tail] = bare.toLowerCase().split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class LoginLimiter {
  private readonly clock: () => number;
  constructor(private readonly db: Db, private readonly limits: LoginLimits) {
    this.clock = limits.clock ?? Date.now;
  }

  private since(): number {
    return this.clock() - this.limits.windowMs;
  }

  /** Too many recent failures for this name at this address, or at this address at all. */
  async blocked(userName: string, ip: string): Promise<boolean> {
    return this.isBlocked(this.db, userKey(userName), addressKey(ip));
  }

  private async isBlocked(db: Db, user: string, address: string): Promise<boolean> {
    const since = this.since();
    const pair = await first(db.select({ n: count() }).from(loginFailures)
      .where(and(eq(loginFailures.userKey, user), eq(loginFailures.address, address), gt(loginFailures.at, since))));
    if ((pair?.n ?? 0) >= this.limits.maxPerUser) return true;
    const all = await first(db.select({ n: count() }).from(loginFailures)
      .where(and(eq(loginFailures.address, address), gt(loginFailures.at, since))));
    return (all?.n ?? 0) >= this.limits.maxPerAddress;
  }

  /**
   * A login attempt begins: false when it is blocked (nothing counted), else it is counted as a failure
   * now (a right password clears it again, `succeed`). The check and the count are one transaction,
   * serialised per address (src/db/users.ts), so logins that race, in this process or in another
   * service on the same database, can never pass the check together: the limit is exact.
   */
  async attempt(userName: string, ip: string): Promise<boolean> {
    const user = userKey(userName);
    const address = addressKey(ip);
    return transaction(this.db, async (tx) => {
      await lockLoginAddress(tx, address);
      if (await this.isBlocked(tx, user, address)) return false;
      await this.count(tx, user, address);
      return true;
    });
  }

  /** One failure more for this name at this address (`attempt` counts its own). */
  async fail(userName: string, ip: string): Promise<void> {
    const address = addressKey(ip);
    await transaction(this.db, async (tx) => {
      await lockLoginAddress(tx, address);
      await this.count(tx, userKey(userName), address);
    });
  }

  private async count(tx: Db, user: string, address: string): Promise<void> {
    const now = this.clock();
    await tx.insert(loginFailures).values({ userKey: user, address, at: now });
    await tx.delete(loginFailures).where(lte(loginFailures.at, now - this.limits.windowMs));
    const top = (await first(tx.select({ id: max(loginFailures.id) }).from(loginFailures)))?.id ?? 0;
    if (top > MAX_ROWS) await tx.delete(loginFailures).where(lte(loginFailures.id, top - MAX_ROWS));
  }

  /** A right password: the pair starts again from zero (the address's count stays). */
  async succeed(userName: string, ip: string): Promise<void> {
    await this.db.delete(loginFailures)
      .where(and(eq(loginFailures.userKey, userKey(userName)), eq(loginFailures.address, addressKey(ip))));
  }

  /** Rows kept (for tests and for an operator's curiosity). */
  async storedFailures(): Promise<number> {
    return (await first(this.db.select({ n: count() }).from(loginFailures)))?.n ?? 0;
  }
}
