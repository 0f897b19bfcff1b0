// Raw AMI event (as asterisk-manager parses it: lower-cased header names, string values) -> PbxEvent.
// Header names and values: Asterisk 22 AMI event documentation (Newchannel, Newstate, Hangup, DialBegin,
// DialEnd, BridgeEnter, BridgeLeave, AttendedTransfer, BlindTransfer, CoreShowChannel) and CEL (cel.ts).
import { celFromAmi } from './cel.js';
import type { ChannelState, DeviceState, DeviceStatus, DialStatus, LiveChannel, PbxEvent } from './events.js';

export type RawAmiEvent = Record<string, unknown>;

const DIAL_STATUSES = new Set(['ANSWER', 'BUSY', 'NOANSWER', 'CANCEL', 'CONGESTION', 'CHANUNAVAIL', 'DONTCALL', 'TORTURE', 'INVALIDARGS']);

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return str(v[0]);
  return v === undefined || v === null ? '' : String(v);
}

/**
 * A header Asterisk writes after the channel's caller ID, when it comes twice: the last copy is
 * Asterisk's. CallerIDNum and ConnectedLineNum are written unescaped (manager_channels.c,
 * ast_manager_build_channel_state_string_prefix: only the names are C-escaped), so a CR/LF in a
 * caller's number puts header lines of the caller's choosing before Asterisk's own Uniqueid, Linkedid
 * and the UserEvent body (stasis.c writes the channel snapshot first, then "UserEvent:", then the
 * body). asterisk-manager turns repeated headers into arrays, in order.
 */
function own(v: unknown): string {
  return Array.isArray(v) ? str(v[v.length - 1]) : str(v);
}

/** Asterisk writes "<unknown>" or nothing for absent caller IDs. */
function number(v: unknown): string | null {
  const s = str(v).trim();
  return s === '' || s === '<unknown>' ? null : s;
}

/** ChannelState codes from include/asterisk/channelstate.h. */
export function channelState(code: unknown): ChannelState {
  switch (str(code)) {
    case '0': return 'down';
    case '4': return 'ring';
    case '5': return 'ringing';
    case '6': return 'up';
    case '7': return 'busy';
    default: return 'other';
  }
}

/** Timestamp header ("1795328425.123456") -> epoch ms; arrival time when timestampevents is off. */
export function eventTime(raw: RawAmiEvent, fallback: () => number = Date.now): number {
  const t = str(raw['timestamp']);
  if (t) {
    const n = Number(t);
    if (Number.isFinite(n)) return Math.round(n * 1000);
  }
  return fallback();
}

export function toPbxEvent(raw: RawAmiEvent, now: () => number = Date.now): PbxEvent | null {
  const name = str(raw['event']);
  const at = eventTime(raw, now);
  // Channel comes before the caller ID (its first copy is Asterisk's), Uniqueid and Linkedid after it.
  const ref = () => ({ at, uniqueId: own(raw['uniqueid']), linkedId: own(raw['linkedid']), channel: str(raw['channel']) });
  switch (name) {
    case 'CEL':
      return celFromAmi(raw, at);
    case 'Newchannel':
      return { type: 'channel.created', ...ref(), state: channelState(raw['channelstate']), callerNumber: number(raw['calleridnum']), context: str(raw['context']), exten: str(raw['exten']) };
    case 'Newstate':
      return { type: 'channel.state', ...ref(), state: channelState(raw['channelstate']) };
    case 'Hangup':
      return { type: 'channel.hangup', ...ref(), cause: Number(str(raw['cause']) || '0'), causeText: str(raw['cause-txt']) };
    case 'DialBegin':
      return {
        type: 'dial.begin', at,
        callerUniqueId: str(raw['uniqueid']) || null,
        destUniqueId: str(raw['destuniqueid']),
        destLinkedId: str(raw['destlinkedid']),
        destChannel: str(raw['destchannel']),
        dialString: str(raw['dialstring']),
      };
    case 'DialEnd': {
      const s = str(raw['dialstatus']);
      return {
        type: 'dial.end', at,
        callerUniqueId: str(raw['uniqueid']) || null,
        destUniqueId: str(raw['destuniqueid']),
        destLinkedId: str(raw['destlinkedid']),
        status: (DIAL_STATUSES.has(s) ? s : 'OTHER') as DialStatus,
      };
    }
    case 'BridgeEnter':
      return { type: 'bridge.enter', ...ref(), bridgeId: str(raw['bridgeuniqueid']) };
    case 'BridgeLeave':
      return { type: 'bridge.leave', ...ref(), bridgeId: str(raw['bridgeuniqueid']) };
    case 'AttendedTransfer': {
      const ids = ['origtransfererlinkedid', 'secondtransfererlinkedid', 'transfereelinkedid', 'transfertargetlinkedid']
        .map((k) => str(raw[k]))
        .filter((s) => s !== '');
      return { type: 'transfer.attended', at, success: str(raw['result']) === 'Success', linkedIds: [...new Set(ids)], transfereeLinkedId: str(raw['transfereelinkedid']) || null };
    }
    case 'BlindTransfer':
      return { type: 'transfer.blind', at, success: str(raw['result']) === 'Success', transfererLinkedId: str(raw['transfererlinkedid']) || null, target: str(raw['extension']) };
    case 'OriginateResponse': {
      const uid = str(raw['uniqueid']);
      return {
        type: 'originate.response', at, actionId: str(raw['actionid']),
        uniqueId: uid && uid !== '<null>' ? uid : null,
        success: str(raw['response']) === 'Success', reason: Number(str(raw['reason']) || '0'),
        context: str(raw['context']) || null, exten: str(raw['exten']) || null,
      };
    }
    case 'DeviceStateChange':
      return { type: 'device.state', at, ...toDeviceStatus(raw) };
    default:
      return null;
  }
}

/** ast_devstate_str() names (main/devicestate.c) -> DeviceState. */
const DEVICE_STATES: Record<string, DeviceState> = {
  NOT_INUSE: 'idle', INUSE: 'in_use', BUSY: 'busy', RINGING: 'ringing', RINGINUSE: 'ringing_in_use',
  ONHOLD: 'on_hold', UNAVAILABLE: 'unavailable', INVALID: 'invalid', UNKNOWN: 'unknown',
};

/** DeviceStateChange (live, or one item of the DeviceStateList action): "Device: PJSIP/101", "State: INUSE". */
export function toDeviceStatus(raw: RawAmiEvent): DeviceStatus {
  const device = str(raw['device']);
  const slash = device.indexOf('/');
  return {
    tech: slash < 0 ? device : device.slice(0, slash),
    resource: slash < 0 ? '' : device.slice(slash + 1),
    state: DEVICE_STATES[str(raw['state'])] ?? 'unknown',
  };
}

/** "01:02:03" -> 3723 */
function hms(s: string): number {
  const parts = s.split(':').map((p) => Number(p));
  if (parts.some((p) => !Number.isFinite(p))) return 0;
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

export function toLiveChannel(raw: RawAmiEvent): LiveChannel {
  return {
    uniqueId: str(raw['uniqueid']),
    linkedId: str(raw['linkedid']),
    channel: str(raw['channel']),
    state: channelState(raw['channelstate']),
    durationSeconds: hms(str(raw['duration'])),
    bridged: str(raw['bridgeid']) !== '',
    callerNumber: number(raw['calleridnum']),
    connectedNumber: number(raw['connectedlinenum']),
    context: str(raw['context']),
    exten: str(raw['exten']),
  };
}
