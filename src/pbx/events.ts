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
export interface ChannelStateChanged extends ChannelRef {
  type: 'channel.state';
  state: ChannelState;
}
export interface ChannelHungUp extends ChannelRef {
  type: 'channel.hangup';
  cause: number;
  causeText: string;
}
export interface DialBegan extends Base {
  type: 'dial.begin';
  /** The dialling channel; absent when Originate dials a channel with no caller. */
  callerUniqueId: string | null;
  destUniqueId: string;
  destLinkedId: string;
  destChannel: string;
  dialString: string;
}
/** Asterisk DIALSTATUS values (app_dial): the outcome of one dial attempt. */
export type DialStatus = 'ANSWER' | 'BUSY' | 'NOANSWER' | 'CANCEL' | 'CONGESTION' | 'CHANUNAVAIL' | 'DONTCALL' | 'TORTURE' | 'INVALIDARGS' | 'OTHER';
export interface DialEnded extends Base {
  type: 'dial.end';
  callerUniqueId: string | null;
  destUniqueId: string;
  destLinkedId: string;
  status: DialStatus;
}
export interface BridgeEntered extends ChannelRef {
  type: 'bridge.enter';
  bridgeId: string;
}
export interface BridgeLeft extends ChannelRef {
  type: 'bridge.leave';
  bridgeId: string;
}
/**
 * UserEvent(CtiCall) from dialplan/extensions_cti.conf: the call's direction and outside party. For an
 * inbound call `external` is the caller's number as Asterisk holds it (the event's CallerIDNum), for the
 * others the digits the phone dialled (the dialplan's External field).
 */
export interface CallMarked extends ChannelRef {
  type: 'call.marked';
  direction: 'inbound' | 'outbound' | 'internal' | 'click2call';
  external: string;
}
/** UserEvent(CtiRecording): MixMonitor writes this file (path as Asterisk sees it). */
export interface RecordingStarted extends ChannelRef {
  type: 'recording.started';
  file: string;
}
/** UserEvent(CtiRoute) from cti-routed: the phone or group now ringing, and why. */
export interface CallRouted extends ChannelRef {
  type: 'call.routed';
  routedBy: string;
  target: string;
}
/** UserEvent(CtiDialDenied) from cti-dial-denied: the dial policy refused this call's number. */
export interface CallDenied extends ChannelRef {
  type: 'call.denied';
  /** prefix, premium, region, international_network, rate, concurrency (src/calls/dial-policy.ts) */
  reason: string;
  number: string;
}
/** A completed attended transfer: the linkedids it joined into one conversation. */
export interface AttendedTransferDone extends Base {
  type: 'transfer.attended';
  success: boolean;
  linkedIds: string[];
  transfereeLinkedId: string | null;
}
export interface BlindTransferDone extends Base {
  type: 'transfer.blind';
  success: boolean;
  transfererLinkedId: string | null;
  target: string;
}

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

export type PbxEvent =
  | ChannelCreated
  | ChannelStateChanged
  | ChannelHungUp
  | DialBegan
  | DialEnded
  | BridgeEntered
  | BridgeLeft
  | CallMarked
  | RecordingStarted
  | CallRouted
  | CallDenied
  | AttendedTransferDone
  | BlindTransferDone
  | OriginateResponded
  | DeviceStateChanged;

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
