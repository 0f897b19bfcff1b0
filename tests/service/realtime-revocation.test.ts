// A socket keeps only what its user still has (issue 10, item 4): after a logout, a session's expiry, a
// password reset, a role change, an extension change or the user's deletion, the open socket of that
// user gets no more pops, tasks or live-board deltas, and is disconnected (the page then asks
// /api/v1/auth/me: a login page, or a fresh socket in the right rooms). Real socket.io clients on a
// listening app; pops and deltas driven by recorded Asterisk traffic through the real pipeline.
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessions } from '../../src/db/schema/index.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { insertTask, taskView } from '../../src/tasks/tasks.js';
import { createSession, SESSION_COOKIE } from '../../src/users/sessions.js';
import { scenarioEvents } from '../support/ami-fixture.js';
import { testApp, type TestApp } from '../support/app.js';
import { loginCookie, seedPasswordUser, socketFor, type ClientSocket } from '../support/session.js';

const CLIENT = '79161230001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tab {
  socket: ClientSocket;
  cookie: string;
  got: { name: string; payload: any }[];
  /** Resolves when the server disconnects this socket. */
  closed: Promise<string>;
}

describe('realtime: sockets lose what the user lost', () => {
  let t: TestApp;
  let url: string;
  let ids: Record<string, string>;
  let admin: string;
  const sockets: ClientSocket[] = [];
  let copies = 0;

  beforeEach(async () => {
    t = await testApp({}, { pbx: true });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    ids = {
      anna: await seedPasswordUser(t.app, 'anna', 'manager', '101'),
      sveta: await seedPasswordUser(t.app, 'sveta', 'supervisor'),
      root: await seedPasswordUser(t.app, 'root', 'admin'),
    };
    admin = await loginCookie(t.app, 'root');
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t.close();
  });

  async function open(cookie: string): Promise<Tab> {
    const socket = await socketFor(url, cookie);
    sockets.push(socket);
    const got: Tab['got'] = [];
    socket.onAny((name: string, payload: unknown) => got.push({ name, payload }));
    const closed = new Promise<string>((r) => socket.once('disconnect', (reason) => r(reason)));
    return { socket, cookie, got, closed };
  }
  const tab = async (name: string) => open(await loginCookie(t.app, name));

  /** The server disconnected the socket (within a second). */
  async function expectDisconnected(s: Tab): Promise<void> {
    const reason = await Promise.race([s.closed, sleep(1000).then(() => 'still connected')]);
    expect(reason).toBe('io server disconnect');
  }

  /** A recorded call, its times moved to now; a distinct call per invocation. */
  function recorded(name: string): PbxEvent[] {
    const evs = scenarioEvents(name, { copy: `c${++copies}`, numbers: { 15551230001: CLIENT } });
    const shift = Date.now() - evs[0]!.at;
    return evs.map((e) => ({ ...e, at: e.at + shift }));
  }
  /** Feeds a call as the PBX would (call log, pops, live board). */
  async function call(name: string): Promise<void> {
    for (const e of recorded(name)) {
      t.pbx.feed(e);
    }
    await sleep(400);
  }
  /** A task for `userId`, announced as the task routes announce one. */
  async function task(userId: string): Promise<void> {
    const row = (await insertTask(t.app.db, { kind: 'callback', number: `+${CLIENT}`, assigneeId: userId, dueAt: Date.now() + 3_600_000 }, Date.now()))!;
    t.app.realtime.taskCreated(taskView(row, 'x', Date.now()));
    await sleep(100);
  }
  const patchUser = async (id: string, payload: object) => {
    const r = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: { cookie: admin, 'x-cti-csrf': '1' }, payload });
    expect(r.statusCode, r.body).toBe(200);
  };
  const names = (s: Tab) => s.got.map((e) => e.name);

  it('logout disconnects the sockets of that session only: its pops and tasks stop, the other login keeps them', async () => {
    const [here, there] = [await tab('anna'), await tab('anna')];
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: here.cookie, 'x-cti-csrf': '1' } });
    expect(out.statusCode).toBe(204);
    await expectDisconnected(here);
    await call('inbound-answered');
    await task(ids.anna!);
    expect(names(here)).toEqual([]);
    expect(names(there)).toEqual(['call:ringing', 'call:answered', 'call:ended', 'task:created']);
    expect(there.socket.connected).toBe(true);
  });

  it('a socket whose session expires is disconnected at the expiry, and a socket event after it finds the session gone', async () => {
    const short = await createSession(t.app.db, ids.anna!, 600);
    const s = await open(`${SESSION_COOKIE}=${short.id}`);
    const sup = await createSession(t.app.db, ids.sveta!, 600);
    const board = await open(`${SESSION_COOKIE}=${sup.id}`);
    await expectDisconnected(s);
    await expectDisconnected(board);
    board.socket.connect();
    await sleep(200);
    expect(board.socket.connected).toBe(false);
    await call('inbound-answered');
    await task(ids.anna!);
    expect(names(s)).toEqual([]);
    expect(names(board)).toEqual([]);
  });

  it('checks the session on every socket event: live:watch after the session was ended elsewhere disconnects, no deltas', async () => {
    const board = await tab('sveta');
    // Ended behind the hub's back (another process, a database restore): the next event finds out.
    await t.app.db.delete(sessions);
    board.socket.emit('live:watch', true);
    await expectDisconnected(board);
    await call('inbound-answered');
    expect(names(board).filter((n) => n === 'live:delta')).toEqual([]);
  });

  it('a password reset disconnects every socket of the user (pops and tasks stop); other users keep theirs', async () => {
    const [a1, a2, sveta] = [await tab('anna'), await tab('anna'), await tab('sveta')];
    await patchUser(ids.anna!, { password: 'a brand new password' });
    await expectDisconnected(a1);
    await expectDisconnected(a2);
    await call('inbound-answered');
    await task(ids.anna!);
    expect(names(a1)).toEqual([]);
    expect(names(a2)).toEqual([]);
    expect(sveta.socket.connected).toBe(true);
    expect(names(sveta)).toContain('task:created');
  });

  it('supervisor -> manager: the board socket is disconnected and gets no more live deltas or tasks', async () => {
    const board = await tab('sveta');
    board.socket.emit('live:watch', true);
    await sleep(100);
    await call('inbound-answered');
    expect(names(board)).toContain('live:delta');
    board.got.length = 0;
    await patchUser(ids.sveta!, { role: 'manager', extension: '105' });
    await expectDisconnected(board);
    await call('inbound-answered');
    await task(ids.anna!);
    expect(names(board)).toEqual([]);
  });

  it('manager -> supervisor: the old socket goes; after a new login the board gets its deltas', async () => {
    const old = await tab('anna');
    old.socket.emit('live:watch', true);
    await patchUser(ids.anna!, { role: 'supervisor' });
    await expectDisconnected(old);
    // The old cookie is dead: the socket cannot come back on it.
    await expect(socketFor(url, old.cookie)).rejects.toThrow('CTI_ERR_UNAUTHORIZED');
    const board = await tab('anna');
    board.socket.emit('live:watch', true);
    await sleep(100);
    await call('inbound-answered');
    expect(names(old)).toEqual([]);
    expect(names(board)).toContain('live:delta');
  });

  it("an extension change disconnects the user's sockets; on reconnect (same login) they pop for the new phone, not the old", async () => {
    const s = await tab('anna');
    await patchUser(ids.anna!, { extension: '102' });
    await expectDisconnected(s);
    await call('inbound-answered'); // rings 101
    expect(names(s)).toEqual([]);
    // The session is still good: the page reconnects and is in the new phone's room.
    const again = await open(s.cookie);
    await call('inbound-answered'); // 101: not anna's phone any more
    expect(names(again)).toEqual([]);
    await call('internal'); // rings 102
    expect(names(again)).toContain('call:ringing');
    expect(again.got.find((e) => e.name === 'call:ringing')!.payload.extension).toBe('102');
  });

  it("deleting a user disconnects their sockets; nothing reaches them after", async () => {
    const s = await tab('anna');
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${ids.anna}`, headers: { cookie: admin, 'x-cti-csrf': '1' } });
    expect(del.statusCode).toBe(204);
    await expectDisconnected(s);
    await call('inbound-answered');
    expect(names(s)).toEqual([]);
  });

  it('refuses a socket whose Origin is not the public address; accepts the configured one, and a client with no Origin', async () => {
    const cookie = await loginCookie(t.app, 'anna');
    /** Connects with this Origin header (as a browser page on that address would): true if accepted. */
    const tryOrigin = (base: string, c: string, origin: string) => new Promise<boolean>((resolve) => {
      const s: ClientSocket = io(base, { path: '/socket.io', transports: ['websocket'], extraHeaders: { cookie: c, origin }, reconnection: false, forceNew: true });
      s.once('connect', () => { s.close(); resolve(true); });
      s.once('connect_error', () => { s.close(); resolve(false); });
    });
    // testApp's default public address: http://127.0.0.1:3000 (CTI_HTTP_HOST and CTI_HTTP_PORT).
    expect(await tryOrigin(url, cookie, 'https://evil.example')).toBe(false);
    expect(await tryOrigin(url, cookie, 'http://127.0.0.1:3001')).toBe(false);
    expect(await tryOrigin(url, cookie, 'http://127.0.0.1:3000')).toBe(true);
    expect((await socketFor(url, cookie)).connected).toBe(true);

    const other = await testApp({ CTI_PUBLIC_URL: 'https://crm.example.com' });
    try {
      await other.app.listen({ port: 0, host: '127.0.0.1' });
      const u2 = `http://127.0.0.1:${(other.app.server.address() as AddressInfo).port}`;
      await seedPasswordUser(other.app, 'anna', 'manager', '101');
      const c2 = await loginCookie(other.app, 'anna');
      expect(await tryOrigin(u2, c2, 'https://crm.example.com')).toBe(true);
      expect(await tryOrigin(u2, c2, 'http://127.0.0.1:3000')).toBe(false);
      expect(await tryOrigin(u2, c2, 'https://crm.example.com.evil.example')).toBe(false);
    } finally {
      await other.close();
    }
  });
});
