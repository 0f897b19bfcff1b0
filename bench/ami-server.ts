// A loopback stand-in for Asterisk's AMI port, for benchmarks that replay recorded traffic: it greets,
// accepts any Login, answers CoreShowChannels, DeviceStateList and QueueStatus with empty lists (and any other action
// with Success), and hands each logged-in socket to `onLogin`, which streams whatever it wants.
import net from 'node:net';

/**
 * The list actions the service sends after login: no PBX's answer must wait for a timeout (a QueueStatus
 * left unanswered held the board's device list back, and the board then wiped the phones' live states).
 */
const LIST_ACTION = /^Action: (DeviceStateList|CoreShowChannels|QueueStatus)$/im;

export async function serveAmi(onLogin: (sock: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const srv = net.createServer((sock) => {
    sock.write('Asterisk Call Manager/11.0.0\r\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 4);
        const id = /ActionID: (.*)/i.exec(block)?.[1] ?? '';
        if (/Action: login/i.test(block)) {
          sock.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
          onLogin(sock);
        } else if (LIST_ACTION.test(block)) {
          // A list that is empty: Asterisk's start, then <Action>Complete with no items.
          const action = LIST_ACTION.exec(block)![1]!;
          sock.write(`Response: Success\r\nActionID: ${id}\r\nEventList: start\r\n\r\nEvent: ${action}Complete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n`);
        } else {
          sock.write(`Response: Success\r\nActionID: ${id}\r\n\r\n`);
        }
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}
