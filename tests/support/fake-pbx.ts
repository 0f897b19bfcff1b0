// A PBX that a service-tier test feeds: recorded AMI traffic (tests/fixtures/ami, as PbxEvents) goes
// through the real call log, pops, live board and tasks exactly as a real PBX's events would
// (src/pbx/pbx.ts PbxLink). No ARI (no routing, no browser phones) and no AMI actions: click-to-call
// answers as with a PBX that is not connected.
import type { DeviceStatus, LiveChannel, PbxEvent, QueueStatusEntry } from '../../src/pbx/events.js';
import type { PbxEvents, PbxHealth, PbxLink } from '../../src/pbx/pbx.js';
import { TypedEmitter } from '../../src/lib/typed-emitter.js';

export class FakePbx extends TypedEmitter<PbxEvents> implements PbxLink {
  readonly ari = null;
  readonly amiConnected = false;
  started = false;

  /** One event, as AMI would have delivered it. */
  feed(e: PbxEvent): void {
    this.emit('event', e);
  }

  start(): void {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  health(): PbxHealth {
    return { ami: { state: 'connected', error: null }, ari: { state: 'disabled', error: null } };
  }

  async clickToCall(): Promise<void> {
    throw new Error('FakePbx: no AMI actions');
  }

  async liveChannels(): Promise<LiveChannel[]> {
    return [];
  }

  async deviceStates(): Promise<DeviceStatus[]> {
    return [];
  }

  async queueStatus(): Promise<QueueStatusEntry[]> {
    return [];
  }
}
