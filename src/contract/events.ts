// The socket.io events both ways, as socket.io's generics take them: the service's
// Server<ClientToServerEvents, ServerToClientEvents> (src/realtime/hub.ts) and the browser's
// Socket<ServerToClientEvents, ClientToServerEvents> (web/src/realtime.ts) are typed with these two,
// so an event or a payload that changes on one side fails `npm run typecheck` on the other.
import type { C2cProgress, CallAnswered, CallEnded, ScreenPop } from './calls.js';
import type { LiveDelta } from './live.js';
import type { TaskView } from './tasks.js';

export interface ServerToClientEvents {
  /** The caller's card, to the user on the extension whose phone starts ringing (only theirs). */
  'call:ringing': (pop: ScreenPop) => void;
  /** To the users whose phone rang for the call. */
  'call:answered': (e: CallAnswered) => void;
  'call:ended': (e: CallEnded) => void;
  /** To the manager who asked for the click-to-call. */
  'c2c:progress': (e: C2cProgress) => void;
  /** To the assignee and to supervisors and admins. */
  'task:created': (t: TaskView) => void;
  'task:updated': (t: TaskView) => void;
  'task:overdue': (t: TaskView) => void;
  /** The live board's changes, to supervisors and admins whose board is open (live:watch). */
  'live:delta': (d: LiveDelta) => void;
}

/** The browser says little over the socket: changes go through the REST API. */
export interface ClientToServerEvents {
  /** The live board page opens (true) or closes (false): only its sockets get live:delta. */
  'live:watch': (watch: boolean) => void;
}
