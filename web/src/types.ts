// What the service sends. The socket contract (socket.io events, their payloads, the enums both sides
// use) is declared once in src/contract and re-exported here, so the compiler holds the page to what the
// service emits; the REST shapes below are this side's reading of docs/design/browser-contract.md and
// the README's REST API. src/contract has no DOM and no Node code: vite bundles only its arrays.
export * from '../../src/contract/index.js';
// The page's own names for contract shapes.
export type { TaskView as Task, ManagerView as LiveManager, LiveCallView as LiveCall, QueueView as LiveQueue, QueueMemberView as LiveQueueMember } from '../../src/contract/index.js';
import type { CallOrigin, CallRecordState, ClientKind, Direction, Disposition, Language, Owner, PhoneMode, Role } from '../../src/contract/index.js';

export interface User {
  id: string;
  name: string;
  role: Role;
  extension: string | null;
  /** Their mobile in E.164, or null (calls forwarded there and answered there are theirs). */
  mobile?: string | null;
  language: Language;
  /** Where their calls ring: a desk phone, or the browser phone in the page. */
  phoneMode: PhoneMode;
  /** The PBX their extension is on (GET /api/v1/pbxes; `main` by default). */
  pbx?: string;
}

export interface Wrapup {
  description: string;
  outcome: string;
  by: string;
  at: string;
}

export interface Call {
  id: string;
  /** The PBX it happened on (GET /api/v1/pbxes). */
  pbx?: string;
  linkedId: string;
  direction: Direction;
  externalNumber: string | null;
  extension: string | null;
  managerId: string | null;
  contactId: string | null;
  clientId: string | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  disposition: Disposition | null;
  hangupCause: string | null;
  recording: { url: string; durationSeconds: number | null } | null;
  state: CallRecordState;
  origin: CallOrigin | null;
  routedBy?: string | null;
  wrapup?: Wrapup | null;
  /** By name, as this user may see them (a manager: their own clients). */
  contact?: { id: string; name: string } | null;
  client?: { id: string; name: string } | null;
  /** The user the call is credited to (managerId), by name. */
  manager?: { id: string; name: string } | null;
  legs?: { managerId: string | null; answeredAt: string | null }[];
  /** The app_queue queue the call waited in, its wait (seconds) and how it left the queue. */
  queue?: string | null;
  queueWaitSeconds?: number | null;
  queueOutcome?: 'answered' | 'abandoned' | 'timeout' | null;
}

/** GET /api/v1/managers: who calls are credited to, who may own a client (supervisors and admins). */
export interface Manager {
  id: string;
  name: string;
  role: Role;
  extension: string | null;
  /** The PBX of their extension. */
  pbx?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Client {
  id: string;
  kind: ClientKind;
  name: string;
  turnover: string | null;
  currency: string | null;
  ownerId: string | null;
  segment: string | null;
  externalId: string | null;
}

export interface Phone {
  number: string;
  e164: string;
  label: string | null;
}

export interface Contact {
  id: string;
  clientId: string;
  name: string;
  email: string | null;
  externalId: string | null;
  phones: Phone[];
}

export interface Lookup {
  contact: Contact;
  client: Client;
  owner: Owner | null;
  turnover: { amount: string; currency: string } | null;
}

export interface Outcome {
  id: string;
  label: { ru: string; en: string };
}

export type RoutingTarget = { extension: string } | { group: string[] } | { queue: string };
