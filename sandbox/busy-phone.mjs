#!/usr/bin/env node
// The sandbox's always-busy phone (extension 199): a tiny SIP UAS on UDP loopback.
// Asterisk reaches it through a static AOR contact (pjsip.conf [199] contact=sip:199@127.0.0.1:<port>).
//   INVITE  -> 100 Trying, then 486 Busy Here (Dial sees DIALSTATUS=BUSY); retransmissions get the same answer
//   ACK     -> nothing
//   OPTIONS, CANCEL, BYE, NOTIFY -> 200 OK;  anything else -> 405
// usage: node sandbox/busy-phone.mjs [--port 25050]      (binds 127.0.0.1 only)
// (baresip 1.0's call_max_calls 0 does not reject calls, so a real phone could not play this part.)
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

const argPort = process.argv.indexOf('--port');
const PORT = argPort > 0 ? Number(process.argv[argPort + 1]) : 25050;
const HOST = '127.0.0.1';

const COMPACT = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length' };
const tags = new Map(); // call-id -> our To tag (stable across retransmissions)

function parse(text) {
  const head = text.split('\r\n\r\n', 1)[0];
  const lines = head.split('\r\n');
  const start = lines.shift() ?? '';
  const headers = []; // [name(lowercase, expanded), raw line]
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length) { headers[headers.length - 1][1] += ` ${line.trim()}`; continue; }
    const c = line.indexOf(':');
    if (c < 0) continue;
    let name = line.slice(0, c).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    headers.push([name, line.slice(c + 1).trim()]);
  }
  return { start, headers, get: (n) => headers.filter(([k]) => k === n).map(([, v]) => v) };
}

function reply(sock, rinfo, req, code, reason) {
  const callId = req.get('call-id')[0] ?? '';
  let to = req.get('to')[0] ?? '';
  if (!/;\s*tag=/i.test(to)) {
    if (!tags.has(callId)) tags.set(callId, randomBytes(6).toString('hex'));
    if (code !== 100) to += `;tag=${tags.get(callId)}`;
  }
  const out = [`SIP/2.0 ${code} ${reason}`];
  for (const v of req.get('via')) out.push(`Via: ${v}`);
  out.push(`From: ${req.get('from')[0] ?? ''}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${req.get('cseq')[0] ?? ''}`);
  if (code === 405) out.push('Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY');
  out.push('Server: cti-sandbox-busy-phone', 'Content-Length: 0', '', '');
  sock.send(Buffer.from(out.join('\r\n')), rinfo.port, rinfo.address);
}

const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  const text = msg.toString('utf8');
  if (!text.trim()) return; // keep-alive
  const req = parse(text);
  const m = /^([A-Z]+) \S+ SIP\/2\.0$/.exec(req.start);
  if (!m) return; // a response: nothing to do
  const method = m[1];
  switch (method) {
    case 'INVITE':
      reply(sock, rinfo, req, 100, 'Trying');
      reply(sock, rinfo, req, 486, 'Busy Here');
      console.log(`${new Date().toISOString()} INVITE ${req.get('call-id')[0]} -> 486 Busy Here`);
      break;
    case 'ACK':
      tags.delete(req.get('call-id')[0] ?? '');
      break;
    case 'OPTIONS': case 'CANCEL': case 'BYE': case 'NOTIFY':
      reply(sock, rinfo, req, 200, 'OK');
      break;
    default:
      reply(sock, rinfo, req, 405, 'Method Not Allowed');
  }
  if (tags.size > 1000) tags.clear();
});
sock.on('error', (err) => { console.error(`busy-phone: ${err.message}`); process.exit(1); });
sock.bind(PORT, HOST, () => console.log(`busy-phone (ext 199) listening on udp ${HOST}:${PORT}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { sock.close(); process.exit(0); });
