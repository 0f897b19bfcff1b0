// The demo's managers pick up their phones: the sandbox's baresip phones auto-answer at once (the tests
// rely on it), and baresip 1.0 has no answer delay, so while the demo runs it switches them to manual
// answer over their control port (ctrl_tcp, netstring JSON) and answers each call after a few seconds
// of ringing. Stopping the demo switches them back to auto-answer.
import net from 'node:net';

interface Phone {
  ext: string;
  sock: net.Socket;
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
  private timers = new Set<NodeJS.Timeout>();

  /** ringMs: how long a phone rings before it is answered (called per call). */
  constructor(private readonly ringMs: () => number) {}

  async start(phones: { ext: string; port: number }[]): Promise<void> {
    this.phones = await Promise.all(phones.map((p) => new Promise<Phone>((resolve, reject) => {
      const sock = net.connect(p.port, '127.0.0.1');
      sock.once('connect', () => resolve({ ext: p.ext, sock }));
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
          const msg = JSON.parse(buf.subarray(c + 1, c + 1 + n).toString()) as { event?: boolean; type?: string };
          buf = buf.subarray(c + 2 + n);
          if (msg.event && msg.type === 'CALL_INCOMING') this.answerLater(p);
        }
      });
      p.sock.write(frame('answermode', 'manual'));
    }
  }

  private answerLater(p: Phone): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      p.sock.write(frame('accept'));
    }, this.ringMs());
    this.timers.add(t);
  }

  /** Back to auto-answer (what the tests expect of the sandbox), then close. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.phones.map((p) => new Promise<void>((resolve) => {
      p.sock.end(frame('answermode', 'auto'), () => resolve());
      setTimeout(resolve, 500).unref();
    })));
    this.phones = [];
  }
}
