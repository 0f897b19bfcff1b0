// What the supervisors' live board shows: GET /api/v1/live (a snapshot) and the socket.io event
// `live:delta`. The shapes are the browser's contract, declared once in src/contract/live.ts; this
// module names them for the board's own code (board.ts, live.ts, routes.ts).
export type {
  AgentState, CounterValues, LiveCallView, LiveCounters, LiveDelta, LiveSnapshot, ManagerCounters, ManagerView, QueueMemberView, QueueView,
} from '../contract/live.js';
export type { Direction, ManagerState, PbxLink } from '../contract/enums.js';
