// The demo's managers pick up their phones: the sandbox's baresip phones auto-answer at once (the tests
// rely on it), and baresip 1.0 has no answer delay, so while the demo runs it switches them to manual
// answer over their control port (ctrl_tcp, netstring JSON) and answers each call after a few seconds
// of ringing. Stopping the demo switches them back to auto-answer. A manager in a call lets a second
// one ring (baresip would take it as call waiting, and the manager would be in two calls at once).
import net from 'node:net';

interface Phone {
  ext: string;
  sock: net.Socket;
  /** baresip's ids of the calls this phone is in (answered, not closed). */
  talking: Set<string>;
  /** The answer each ringing call waits for, by baresip's call id. */
  ringing: Map<string, NodeJS.Timeout>;
}

/** A ctrl_tcp event (baresip 1.0 modules/ctrl_tcp: "event": true, "type", "id" of the call). */
interface PhoneEvent {
  event?: boolean;
  type?: string;
  id?: string;
}

/** "101:44101,102:44102" (CTI_SANDBOX_PHONES) -> the phones that answer (198 never does). */
export function answeringPhones(spec: string, answering: readonly string[]): { ext: string; port: number }[] {
  return spec.split(',').map((p) => p.split(':')).filter(([e, port]) => e && port && answering.includes(e))
    .map(([ext, port]) => ({ ext: ext!, port: Number(port) }));
}

const frame = (command: string, params = '') => {
  const json = JSON.stringify({ command, params, token: command });
  return `${Buffer.byteLength(json)}:${json},`;
};

export class DemoPickup {
  private phones: Phone[] = [];

  /** ringMs: how long a phone rings before it is answered (called per call). */
  constructor(private readonly ringMs: () => number) {}

  async start(phones: { ext: string; port: number }[]): Promise<void> {
    this.phones = await Promise.all(phones.map((p) => new Promise<Phone>((resolve, reject) => {
      const sock = net.connect(p.port, '127.0.0.1');
      sock.once('connect', () => resolve({ ext: p.ext, sock, talking: new Set(), ringing: new Map() }));
      sock.once('error', reject);
    })));
    for (const p of this.phones) {
      let buf = Buffer.alloc(0);
      p.sock.on('error', () => {});
      p.sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const c = buf.indexOf(0x3a);
          if (c < 0) return;
          const n = Number.parseInt(buf.subarray(0, c).toString(), 10);
          if (buf.length < c + 2 + n) return;
          const msg = JSON.parse(buf.subarray(c + 1, c + 1 + n).toString()) as PhoneEvent;
          buf = buf.subarray(c + 2 + n);
          if (msg.event) this.onEvent(p, msg);
        }
      });
      p.sock.write(frame('answermode', 'manual'));
    }
  }

  private onEvent(p: Phone, e: PhoneEvent): void {
    const id = e.id ?? '';
    if (e.type === 'CALL_INCOMING' && p.talking.size === 0) {
      p.ringing.set(id, setTimeout(() => {
        p.ringing.delete(id);
        // The manager picks up only when free; baresip's accept takes the phone's ringing call.
        if (p.talking.size === 0) p.sock.write(frame('accept'));
      }, this.ringMs()));
    } else if (e.type === 'CALL_ESTABLISHED') {
      p.talking.add(id);
    } else if (e.type === 'CALL_CLOSED') {
      // Answered elsewhere (a group), given up by the caller, or ended.
      clearTimeout(p.ringing.get(id));
      p.ringing.delete(id);
      p.talking.delete(id);
    }
  }

  /** Back to auto-answer (what the tests expect of the sandbox), then close. */
  async stop(): Promise<void> {
    for (const p of this.phones) for (const t of p.ringing.values()) clearTimeout(t);
    await Promise.all(this.phones.map((p) => new Promise<void>((resolve) => {
      p.sock.end(frame('answermode', 'auto'), () => resolve());
      setTimeout(resolve, 500).unref();
    })));
    this.phones = [];
  }
}
