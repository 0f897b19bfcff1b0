// The closed sets of words the service and the browser share: each one an `as const` array (for
// validation, select options, drizzle's text enums) and the union type read from it. The database
// schema (src/db/schema), the API's JSON schemas and web/ all take them from here.

export const CALL_DIRECTIONS = ['inbound', 'outbound', 'internal'] as const;
export type Direction = (typeof CALL_DIRECTIONS)[number];

/** How a call (or one manager's leg of it) ended, from app_dial's DIALSTATUS (src/calls/model.ts dispositionOf). */
export const CALL_DISPOSITIONS = ['answered', 'no_answer', 'busy', 'failed'] as const;
export type Disposition = (typeof CALL_DISPOSITIONS)[number];

/** A call record's state: live, still in progress as far as we know; ended, complete. */
export const CALL_STATES = ['live', 'ended'] as const;
export type CallRecordState = (typeof CALL_STATES)[number];

/** Who started the call when it was not a phone: click-to-call (null on the record otherwise). */
export const CALL_ORIGINS = ['click2call'] as const;
export type CallOrigin = (typeof CALL_ORIGINS)[number];

/** How a call left the queue it waited in: a member answered, the caller gave up, or the queue let it go on (timeout, no members). */
export const QUEUE_OUTCOMES = ['answered', 'abandoned', 'timeout'] as const;
export type QueueOutcome = (typeof QUEUE_OUTCOMES)[number];

export const ROLES = ['manager', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Where a user's calls ring: a desk (or any SIP) phone the PBX knows, or the softphone in the CRM page. */
export const PHONE_MODES = ['desk', 'browser'] as const;
export type PhoneMode = (typeof PHONE_MODES)[number];

/** The interface's languages (web/src/messages). */
export const LANGUAGES = ['ru', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const CLIENT_KINDS = ['company', 'person'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export const TASK_KINDS = ['callback', 'follow_up'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/**
 * A phone's state as Asterisk's device state reports it, in our words (src/pbx/ami-events.ts maps
 * AST_DEVICE_*: NOT_INUSE idle, INUSE in_use, BUSY busy, RINGING ringing, RINGINUSE ringing_in_use,
 * ONHOLD on_hold, UNAVAILABLE unavailable (not registered), INVALID invalid, UNKNOWN unknown).
 */
export const DEVICE_STATES = ['idle', 'in_use', 'busy', 'ringing', 'ringing_in_use', 'on_hold', 'unavailable', 'invalid', 'unknown'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** A manager as the live board shows them, from their phone's device state (src/live/board.ts). */
export const MANAGER_STATES = ['available', 'ringing', 'talking', 'offline'] as const;
export type ManagerState = (typeof MANAGER_STATES)[number];

/** A call in progress on the live board. */
export const LIVE_CALL_STATES = ['dialling', 'ringing', 'talking'] as const;
export type LiveCallState = (typeof LIVE_CALL_STATES)[number];

/** Whether the service is connected to the PBX's AMI right now. */
export const PBX_LINKS = ['connected', 'disconnected'] as const;
export type PbxLink = (typeof PBX_LINKS)[number];

/** Click-to-call as the requesting manager follows it (src/calls/click-to-call.ts). */
export const C2C_STAGES = ['calling_you', 'calling_client', 'talking', 'ended', 'failed'] as const;
export type C2cStage = (typeof C2C_STAGES)[number];

/**
 * Why a click-to-call failed, and whose side: `you_*` / not_registered: the manager's own phone (rung
 * first); `client_*`: the client's line, once the manager had answered.
 */
export const C2C_REASONS = [
  'not_registered', 'you_busy', 'you_no_answer', 'you_rejected',
  'client_busy', 'client_no_answer', 'client_rejected', 'pbx_unavailable',
] as const;
export type C2cReason = (typeof C2C_REASONS)[number];
