// Who may still get in: the one place that says "session S ended" or "user U's rights changed / U is
// gone", and that ends what such a change must end. The users feature emits; the realtime hub follows
// (src/realtime/hub.ts disconnects the sockets), so no other code has to know who was logged in where.
//
//   logout                      -> sessionEnded          -> that session's sockets disconnected
//   password | role | deleted   -> revokeAccess + userChanged -> every session and API token gone (401),
//                                                              every socket of the user disconnected
//   extension                   -> userChanged            -> sockets disconnected; the page reconnects on
//                                                              its still valid session into the new rooms
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsAffected } from '../db/query.js';
import { apiTokens, sessions } from '../db/schema/index.js';
import { TypedEmitter } from '../lib/typed-emitter.js';

/** What changed about a user that their open sockets must not outlive. */
export type AccessChange = 'password' | 'role' | 'extension' | 'deleted';
/** The changes that end every session and API token of the user (README, "Revocation"). */
export const REVOKING: readonly AccessChange[] = ['password', 'role', 'deleted'];

export interface AccessEvents {
  /** One session ended (logout). `sessionHash`: its SHA-256, as stored (src/users/sessions.ts). */
  sessionEnded: (e: { userId: string; sessionHash: string }) => void;
  /** The user's rights changed or the user is gone; for REVOKING changes, revokeAccess ran first. */
  userChanged: (e: { userId: string; changes: AccessChange[] }) => void;
}

export class UserAccess extends TypedEmitter<AccessEvents> {
  sessionEnded(userId: string, sessionHash: string): void {
    this.emit('sessionEnded', { userId, sessionHash });
  }

  userChanged(userId: string, changes: AccessChange[]): void {
    if (changes.length) this.emit('userChanged', { userId, changes });
  }
}

/** Ends every session and API token of the user: their next request gets 401. */
export async function revokeAccess(db: Db, userId: string): Promise<{ sessions: number; tokens: number }> {
  const s = rowsAffected(await db.delete(sessions).where(eq(sessions.userId, userId)));
  const t = rowsAffected(await db.delete(apiTokens).where(eq(apiTokens.userId, userId)));
  return { sessions: s, tokens: t };
}
