// Domain events of the PBX boundary. Raw AMI headers never leave src/pbx: everything past it speaks
// these types. Times (`at`) are Asterisk's own event timestamps in epoch ms (manager.conf
// timestampevents=yes), not arrival times.
import type { DeviceState } from '../contract/enums.js';

export type ChannelState = 'down' | 'ring' | 'ringing' | 'up' | 'busy' | 'other';

interface Base {
  at: number;
}
interface ChannelRef extends Base {
  uniqueId: string;
  linkedId: string;
  channel: string;
}

export interface ChannelCreated extends ChannelRef {
  type: 'channel.created';
  state: ChannelState;
  callerNumber: string | null;
  context: string;
  exten: string;
}
export interface ChannelHungUp extends ChannelRef {
  type: 'channel.hangup';
  cause: number;
  causeText: string;
}
/** Asterisk DIALSTATUS values (app_dial): the outcome of one dial attempt. */
export type DialStatus = 'ANSWER' | 'BUSY' | 'NOANSWER' | 'CANCEL' | 'CONGESTION' | 'CHANUNAVAIL' | 'DONTCALL' | 'TORTURE' | 'INVALIDARGS' | 'OTHER';

/**
 * AMI OriginateResponse (class call) for an Async Originate: `reason` is the last control frame of the
 * originated channel (include/asterisk/frame.h: 0 no channel / failed, 1 hangup, 3 ringing (timeout),
 * 4 answered, 5 busy, 8 congestion). The dial of the originated channel is not always seen otherwise
 * (an unregistered phone gets no channel at all), so this is how click-to-call learns it failed.
 */
export interface OriginateResponded extends Base {
  type: 'originate.response';
  actionId: string;
  /** The originated channel's Uniqueid (our ChannelId), when Asterisk names it. */
  uniqueId: string | null;
  success: boolean;
  reason: number;
  /** Where the originated channel was to go once answered (Originate's Context/Exten). */
  context: string | null;
  exten: string | null;
}

/**
 * A device's state as Asterisk aggregates it from its channels and registration (include/asterisk/
 * devicestate.h, AST_DEVICE_*): idle NOT_INUSE, in_use INUSE, busy BUSY, ringing RINGING,
 * ringing_in_use RINGINUSE (a second call rings while one is up), on_hold ONHOLD, unavailable
 * UNAVAILABLE (not registered), invalid INVALID, unknown UNKNOWN. The browser's live board shows it, so
 * the words are the contract's (src/contract/enums.ts).
 */
export type { DeviceState };

/** A device (a phone: tech PJSIP, resource 101) and its state, from AMI DeviceStateChange (class call). */
export interface DeviceStatus {
  tech: string;
  resource: string;
  state: DeviceState;
}
export interface DeviceStateChanged extends Base, DeviceStatus {
  type: 'device.state';
}

/**
 * Asterisk's Channel Event Log (CEL) event names as cel.conf enables them (sandbox/asterisk/cel.conf);
 * CEL specification: main/cel.c, doc "Asterisk 12 CEL Specification".
 */
export const CEL_EVENT_NAMES = [
  'CHAN_START', 'CHAN_END', 'ANSWER', 'HANGUP', 'BRIDGE_ENTER', 'BRIDGE_EXIT', 'APP_START', 'APP_END',
  'PARK_START', 'PARK_END', 'BLINDTRANSFER', 'ATTENDEDTRANSFER', 'PICKUP', 'FORWARD', 'LINKEDID_END',
  'USER_DEFINED', 'LOCAL_OPTIMIZE', 'LOCAL_OPTIMIZE_BEGIN',
] as const;
export type CelEventName = (typeof CEL_EVENT_NAMES)[number];

/**
 * What a channel is attached to, read from its name ("PJSIP/101-0000002a", "Local/600@cti-queue-0000;2").
 * For a Local channel `resource` is the extension it runs (before the @) and `half` its side.
 */
export interface Endpoint {
  tech: string;
  resource: string;
  local: boolean;
  half: 1 | 2 | null;
}

/**
 * One CEL record, the same whether it came live over AMI (cel_manager's `Event: CEL`) or afterwards
 * from cel_custom's file (dialplan/cel_custom_cti.conf): the one input of the call interpreter.
 * `at` is the AMI event's Timestamp live (cel_manager's EventTime has whole seconds only) and the
 * record's eventtime from the file; the two readings of Asterisk's clock differ by well under 1 ms.
 */
export interface CelEvent extends ChannelRef {
  type: 'cel';
  name: CelEventName;
  endpoint: Endpoint;
  callerNumber: string | null;
  callerName: string | null;
  /** The number the channel's caller dialled (CALLERID(dnid)): what a phone dialled, when it dialled. */
  dnid: string | null;
  exten: string;
  context: string;
  /** The application the channel ran at the event (Dial, Queue, MixMonitor, AppDial, AppDial2 ...). */
  app: string;
  appData: string;
  /** The bridged peer's channel name(s), for BRIDGE_* and ATTENDEDTRANSFER. */
  peer: string;
  /** USER_DEFINED only: the event's name (CELGenUserEvent's first argument). */
  userEvent: string | null;
  /** The event's extra: JSON objects parsed (HANGUP's hangupcause and dialstatus, BRIDGE_*'s bridge_id...), else { text }. */
  extra: Record<string, unknown>;
}

/**
 * A queue member as app_queue reports it (apps/app_queue.c queue_member_blob_create, the same fields in
 * QueueMemberAdded, QueueMemberPause, QueueMemberStatus and, as QueueMember, in the QueueStatus list).
 * Times are epoch ms (app_queue writes whole seconds; 0 there is null here).
 */
export interface QueueMember {
  queue: string;
  /** The member's Interface (app_queue's Location in QueueStatus): PJSIP/101, Local/101@from-queue. */
  interface: string;
  /** Its device, when it rings one (StateInterface, else Interface): tech PJSIP, resource 101. */
  device: { tech: string; resource: string };
  memberName: string;
  /** The device's state (Status, an AST_DEVICE_* number). */
  status: DeviceState;
  paused: boolean;
  pausedReason: string | null;
  /** InCall: a queue call is up on this member (app_queue's starttime is set). */
  inCall: boolean;
  callsTaken: number;
  lastCallAt: number | null;
  /** The member's own wrapuptime in seconds (0: none set on the member; the queue's is not in AMI). */
  wrapupSeconds: number;
}
export interface QueueMemberChanged extends Base, QueueMember {
  type: 'queue.member';
  /** Which event said it: added (logged in), pause (paused or unpaused), status (device or call). */
  change: 'added' | 'pause' | 'status';
}
export interface QueueMemberRemoved extends Base {
  type: 'queue.member.removed';
  queue: string;
  interface: string;
}
/**
 * The queue's calls to its members (AgentCalled, AgentRingNoAnswer, AgentConnect, AgentComplete, class
 * agent): the member rings, did not answer, answered, or the call is over (wrap-up time starts).
 */
export interface QueueAgentEvent extends Base {
  type: 'queue.agent';
  phase: 'called' | 'ring_no_answer' | 'connected' | 'completed';
  queue: string;
  interface: string;
  memberName: string;
  /** The waiting caller's channel (the call's linkedid). */
  callerUniqueId: string;
  linkedId: string;
}
/** A caller joined or left a queue (QueueCallerJoin, QueueCallerLeave): `count` callers wait in it now. */
export interface QueueCallerEvent extends Base {
  type: 'queue.caller';
  phase: 'joined' | 'left';
  queue: string;
  count: number;
  uniqueId: string;
}

/** The QueueStatus action's answer: each queue with how many wait in it, and its members. */
export interface QueueStatusEntry {
  queue: string;
  waiting: number;
  members: QueueMember[];
}

export type PbxEvent =
  | CelEvent
  | ChannelCreated
  | ChannelHungUp
  | OriginateResponded
  | DeviceStateChanged
  | QueueMemberChanged
  | QueueMemberRemoved
  | QueueAgentEvent
  | QueueCallerEvent;

/** A channel alive in Asterisk right now (AMI CoreShowChannels), used to re-sync after a reconnect. */
export interface LiveChannel {
  uniqueId: string;
  linkedId: string;
  channel: string;
  state: ChannelState;
  /** Seconds since the channel was created. */
  durationSeconds: number;
  bridged: boolean;
  callerNumber: string | null;
  connectedNumber: string | null;
  context: string;
  exten: string;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'login_failed';
