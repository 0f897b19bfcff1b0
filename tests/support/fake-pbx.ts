// A stand-in for Asterisk when a service-tier test needs the service to connect and nothing more: AMI
// that accepts the login and answers every list action with an empty list, and ARI that serves a
// Swagger 1.1 description (as Asterisk's does, which is what makes swagger-client print its
// deprecation notice) and accepts the events websocket. No calls, no events.
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

export interface FakePbx {
  amiPort: number;
  ariUrl: string;
  close(): Promise<void>;
}

function listen(s: TcpServer | HttpServer): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));
}

/** AMI: the greeting, Success to every action; list actions (EventList) get their Complete event at once. */
function fakeAmi(sockets: Set<Socket>): TcpServer {
  return createTcpServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.write('Asterisk Call Manager/11.0.0\r\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const h = new Map(block.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const action = h.get('action') ?? '';
        const id = h.get('actionid') ?? '';
        if (/^(CoreShowChannels|DeviceStateList)$/i.test(action)) {
          sock.write(`Response: Success\r\nActionID: ${id}\r\nEventList: start\r\nMessage: will follow\r\n\r\n`);
          sock.write(`Event: ${action}Complete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n`);
        } else if (/^logoff$/i.test(action)) {
          sock.end(`Response: Goodbye\r\nActionID: ${id}\r\n\r\n`);
        } else {
          sock.write(`Response: Success\r\nActionID: ${id}\r\nMessage: ${/^login$/i.test(action) ? 'Authentication accepted' : 'OK'}\r\n\r\n`);
        }
      }
    });
  });
}

/** ARI: /asterisk/info, a Swagger 1.1 description with channels.list, GET /channels and the events websocket. */
function fakeAri(sockets: Set<Socket>): { server: HttpServer; setPort(p: number): void } {
  let base = '';
  const declaration = (resource: string, apis: unknown[], models: Record<string, unknown> = {}) => ({
    apiVersion: '2.0.0', swaggerVersion: '1.1', basePath: `${base}/ari`, resourcePath: `/api-docs/${resource}.{format}`, apis, models,
  });
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    const json = (body: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (path === '/ari/asterisk/info') return json({ system: { version: '22.0.0-fake' } });
    if (path === '/ari/api-docs/resources.json') {
      return json({
        apiVersion: '10.0.0', swaggerVersion: '1.1', basePath: `${base}/ari`,
        apis: [{ path: '/api-docs/channels.{format}', description: 'Channel resources' }, { path: '/api-docs/events.{format}', description: 'WebSocket resource' }],
      });
    }
    if (path === '/ari/api-docs/channels.json') {
      return json(declaration('channels', [{
        path: '/channels', description: 'Active channels',
        operations: [{ httpMethod: 'GET', summary: 'List all active channels in Asterisk.', nickname: 'list', responseClass: 'List[Channel]' }],
      }], { Channel: { id: 'Channel', properties: { id: { type: 'string', required: true } } } }));
    }
    if (path === '/ari/api-docs/events.json') return json(declaration('events', []));
    if (path === '/ari/channels') return json([]);
    res.writeHead(404).end();
  });
  // The events websocket (RFC 6455 §4.2.2 handshake); it stays open and silent.
  server.on('upgrade', (req, sock: Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  });
  return { server, setPort: (p) => { base = `http://127.0.0.1:${p}`; } };
}

export async function startFakePbx(): Promise<FakePbx> {
  const sockets = new Set<Socket>();
  const ami = fakeAmi(sockets);
  const ari = fakeAri(sockets);
  const amiPort = await listen(ami);
  const ariPort = await listen(ari.server);
  ari.setPort(ariPort);
  return {
    amiPort, ariUrl: `http://127.0.0.1:${ariPort}`,
    async close() {
      for (const s of sockets) s.destroy();
      ari.server.closeAllConnections();
      await Promise.all([new Promise((r) => ami.close(r)), new Promise((r) => ari.server.close(r))]);
    },
  };
}
