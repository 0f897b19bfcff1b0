// The service's side of the socket: what it keeps on each socket and how it names its rooms. The
// events and their payloads (ServerToClientEvents, ScreenPop, ...) are the contract with the browser,
// declared once in src/contract (docs/design/browser-contract.md, "Realtime").
import type { Role } from '../contract/enums.js';

export interface SocketData {
  userId: string;
  role: Role;
  /** The PBX the user's extension is on: extension 101 of another PBX is another phone. */
  pbxId: string;
  extension: string | null;
  /** The session's stored hash (never the cookie's id) and its end: the hub drops the socket with it. */
  sessionHash: string;
  expiresAt: number;
}

/** Rooms: every socket of a user, of an extension's phone, and of supervisors and admins. */
export const rooms = {
  user: (id: string) => `user:${id}`,
  ext: (pbx: string, ext: string) => `ext:${pbx}:${ext}`,
  supervisors: 'supervisors',
  /** Supervisors' and admins' sockets whose live board is open (live:watch). */
  live: 'live',
} as const;
