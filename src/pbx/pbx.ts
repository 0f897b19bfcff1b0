// The PBX boundary as the rest of the service sees it: typed events, connection health, and the few
// actions we take. Everything about AMI headers and ARI JSON stays in this folder.
import type { Logger } from '../lib/logger.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { AmiClient, type AmiOptions } from './ami-client.js';
import { AriConnection, type AriOptions } from './ari-client.js';
import type { ConnectionState, DeviceStatus, LiveChannel, PbxEvent, QueueStatusEntry } from './events.js';

export interface PbxHealth {
  ami: { state: ConnectionState; error: string | null };
  ari: { state: ConnectionState; error: string | null };
}

type PbxEvents = {
  event: (e: PbxEvent) => void;
  /** AMI logged in (again): time to re-sync calls in progress and reconcile. */
  amiReady: (info: { reconnect: boolean }) => void;
  /** AMI connection state changes (what is known of device states goes stale while it is down). */
  amiState: (state: ConnectionState) => void;
};

export class Pbx extends TypedEmitter<PbxEvents> {
  readonly ami: AmiClient;
  readonly ari: AriConnection;

  constructor(opts: { ami: AmiOptions; ari: AriOptions }, log: Logger) {
    super();
    this.ami = new AmiClient(opts.ami, log.child({ pbx: 'ami' }));
    this.ari = new AriConnection(opts.ari, log.child({ pbx: 'ari' }));
    this.ami.on('event', (e) => this.emit('event', e));
    this.ami.on('ready', (info) => this.emit('amiReady', info));
    this.ami.on('state', (s) => this.emit('amiState', s));
  }

  start(): void {
    this.ami.start();
    this.ari.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.ami.stop(), this.ari.stop()]);
  }

  health(): PbxHealth {
    return {
      ami: { state: this.ami.state, error: this.ami.error },
      ari: { state: this.ari.state, error: this.ari.error },
    };
  }

  liveChannels(): Promise<LiveChannel[]> {
    return this.ami.liveChannels();
  }

  /** Every device's state now (AMI DeviceStateList), to start from after a (re)connect. */
  deviceStates(): Promise<DeviceStatus[]> {
    return this.ami.deviceStates();
  }

  /** Every queue with its members and how many wait in it now (AMI QueueStatus), to start from after a (re)connect. */
  queueStatus(): Promise<QueueStatusEntry[]> {
    return this.ami.queueStatus();
  }
}
