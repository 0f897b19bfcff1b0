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
  blocked(userName: string, ip: string): boolean {
    const address = addressKey(ip);
    const since = this.since();
    const pair = this.db.select({ n: count() }).from(loginFailures)
      .where(and(eq(loginFailures.userKey, userKey(userName)), eq(loginFailures.address, address), gt(loginFailures.at, since))).get();
    if ((pair?.n ?? 0) >= this.limits.maxPerUser) return true;
    const all = this.db.select({ n: count() }).from(loginFailures)
      .where(and(eq(loginFailures.address, address), gt(loginFailures.at, since))).get();
    return (all?.n ?? 0) >= this.limits.maxPerAddress;
  }

  fail(userName: string, ip: string): void {
    const now = this.clock();
    this.db.transaction((tx) => {
      tx.insert(loginFailures).values({ userKey: userKey(userName), address: addressKey(ip), at: now }).run();
      tx.delete(loginFailures).where(lte(loginFailures.at, now - this.limits.windowMs)).run();
      const top = tx.select({ id: max(loginFailures.id) }).from(loginFailures).get()?.id ?? 0;
      if (top > MAX_ROWS) tx.delete(loginFailures).where(lte(loginFailures.id, top - MAX_ROWS)).run();
    });
  }

  /** A right password: the pair starts again from zero (the address's count stays). */
  succeed(userName: string, ip: string): void {
    this.db.delete(loginFailures)
      .where(and(eq(loginFailures.userKey, userKey(userName)), eq(loginFailures.address, addressKey(ip)))).run();
  }

  /** Rows kept (for tests and for an operator's curiosity). */
  storedFailures(): number {
    return this.db.select({ n: count() }).from(loginFailures).get()?.n ?? 0;
  }
}
