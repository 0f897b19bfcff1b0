// Record ids: UUID version 7 (RFC 9562 §5.7): a millisecond timestamp, then random bits. Rows created
// together get neighbouring ids, so a bulk import appends to the primary-key index instead of writing
// all over it (random v4 ids made a 1,000,000-row import several times slower once the index outgrew
// the page cache). Any UUID column (PostgreSQL uuid) takes them.
import { randomBytes } from 'node:crypto';

let pool = Buffer.alloc(0);
let offset = 0;

export function newId(now: number = Date.now()): string {
  if (offset + 10 > pool.length) {
    pool = randomBytes(10 * 1024);
    offset = 0;
  }
  const b = Buffer.allocUnsafe(16);
  b.writeUIntBE(now, 0, 6);
  pool.copy(b, 6, offset, offset + 10);
  offset += 10;
  b[6] = (b[6]! & 0x0f) | 0x70; // version 7
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
