// Raw AMI event (as asterisk-manager parses it: lower-cased header names, string values) -> PbxEvent.
// Header names and values: Asterisk 22 AMI event documentation (Newchannel, Hangup, OriginateResponse,
// DeviceStateChange, CoreShowChannel), CEL (cel.ts: the call interpreter reads it instead of AMI's
// channel, dial, bridge and transfer events, which are no longer mapped), and for queues apps/app_queue.c (queue_member_blob_create; AgentCalled/Connect/Complete; manager_queues_status).
import { celFromAmi } from './cel.js';
import type { ChannelState, DeviceState, DeviceStatus, LiveChannel, PbxEvent, QueueMember, QueueStatusEntry } from './events.js';

export type RawAmiEvent = Record<string, unknown>;


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
    case 'Hangup':
      return { type: 'channel.hangup', ...ref(), cause: Number(str(raw['cause']) || '0'), causeText: str(raw['cause-txt']) };
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
    case 'QueueMemberAdded':
    case 'QueueMemberPause':
    case 'QueueMemberStatus':
      return { type: 'queue.member', at, change: name === 'QueueMemberAdded' ? 'added' : name === 'QueueMemberPause' ? 'pause' : 'status', ...toQueueMember(raw) };
    case 'QueueMemberRemoved':
      return { type: 'queue.member.removed', at, queue: str(raw['queue']), interface: str(raw['interface']) };
    case 'AgentCalled':
    case 'AgentRingNoAnswer':
    case 'AgentConnect':
    case 'AgentComplete':
      return {
        type: 'queue.agent', at, phase: AGENT_PHASES[name],
        queue: str(raw['queue']), interface: str(raw['interface']), memberName: str(raw['membername']),
        // The caller's channel snapshot comes first (no prefix), the member's with a Dest prefix.
        callerUniqueId: own(raw['uniqueid']), linkedId: own(raw['linkedid']),
      };
    case 'QueueCallerJoin':
    case 'QueueCallerLeave':
      return {
        type: 'queue.caller', at, phase: name === 'QueueCallerJoin' ? 'joined' : 'left',
        queue: str(raw['queue']), count: int(raw['count']), uniqueId: own(raw['uniqueid']),
      };
    default:
      return null;
  }
}

const AGENT_PHASES = { AgentCalled: 'called', AgentRingNoAnswer: 'ring_no_answer', AgentConnect: 'connected', AgentComplete: 'completed' } as const;

function int(v: unknown): number {
  const n = Number.parseInt(str(v), 10);
  return Number.isFinite(n) ? n : 0;
}

/** app_queue's member Status: enum ast_device_state as a number (include/asterisk/devicestate.h). */
const DEVICE_STATE_CODES: DeviceState[] = ['unknown', 'idle', 'in_use', 'busy', 'invalid', 'unavailable', 'ringing', 'ringing_in_use', 'on_hold'];

function device(s: string): { tech: string; resource: string } {
  // A state interface "hint:101@ext-local" (FreePBX's queue members: app_queue follows the extension's
  // hint, pbx.c ast_extension_state): the extension before the @.
  if (/^hint:/i.test(s)) return { tech: 'hint', resource: s.slice(5).split('@')[0] ?? '' };
  const slash = s.indexOf('/');
  if (slash < 0) return { tech: s, resource: '' };
  // Local/101@from-queue/n: the extension before the @.
  const rest = s.slice(slash + 1);
  return { tech: s.slice(0, slash), resource: rest.split(/[@/]/)[0] ?? '' };
}

/**
 * A queue member, from QueueMemberAdded/Pause/Status (Interface, MemberName) or from the QueueStatus
 * list's QueueMember (Location, Name). PausedReason is whatever QueuePause's Reason said.
 */
export function toQueueMember(raw: RawAmiEvent): QueueMember {
  const iface = str(raw['interface']) || str(raw['location']);
  const stateIface = str(raw['stateinterface']);
  const secs = int(raw['lastcall']);
  const reason = str(raw['pausedreason']).trim();
  return {
    queue: str(raw['queue']),
    interface: iface,
    device: device(stateIface || iface),
    memberName: str(raw['membername']) || str(raw['name']),
    status: DEVICE_STATE_CODES[int(raw['status'])] ?? 'unknown',
    paused: str(raw['paused']) === '1',
    pausedReason: reason === '' ? null : reason,
    inCall: str(raw['incall']) === '1',
    callsTaken: int(raw['callstaken']),
    lastCallAt: secs > 0 ? secs * 1000 : null,
    wrapupSeconds: int(raw['wrapuptime']),
  };
}

/** ast_devstate_str() names (main/devicestate.c) -> DeviceState. */
const DEVICE_STATES: Record<string, DeviceState> = {
  NOT_INUSE: 'idle', INUSE: 'in_use', BUSY: 'busy', RINGING: 'ringing', RINGINUSE: 'ringing_in_use',
  ONHOLD: 'on_hold', UNAVAILABLE: 'unavailable', INVALID: 'invalid', UNKNOWN: 'unknown',
};

/** DeviceStateChange (live, or one item of the DeviceStateList action): "Device: PJSIP/101", "State: INUSE". */
export function toDeviceStatus(raw: RawAmiEvent): DeviceStatus {
  const device = str(raw['device']);
  // A device state provider's name, "Provider:name" (app_queue's Queue:sales_pause_PJSIP/101, Custom:x),
  // is no channel technology: its name may hold a slash, and "PJSIP/101" in it is not that phone.
  const colon = device.indexOf(':');
  if (colon >= 0 && (device.indexOf('/') < 0 || colon < device.indexOf('/'))) {
    return { tech: device.slice(0, colon), resource: device.slice(colon + 1), state: DEVICE_STATES[str(raw['state'])] ?? 'unknown' };
  }
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

/** The QueueStatus list (QueueParams, QueueMember, QueueEntry items, in Asterisk's order) -> queues. */
export function toQueueStatus(items: readonly RawAmiEvent[]): QueueStatusEntry[] {
  const out = new Map<string, QueueStatusEntry>();
  const at = (q: string) => {
    let e = out.get(q);
    if (!e) out.set(q, (e = { queue: q, waiting: 0, members: [] }));
    return e;
  };
  for (const raw of items) {
    const q = str(raw['queue']);
    if (!q) continue;
    const kind = str(raw['event']);
    if (kind === 'QueueParams') at(q).waiting = int(raw['calls']);
    else if (kind === 'QueueMember') at(q).members.push(toQueueMember(raw));
    else at(q);
  }
  return [...out.values()];
}
