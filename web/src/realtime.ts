// One socket.io connection per tab, authenticated by the session cookie in the handshake
// (browser-contract.md, Realtime). Pages subscribe to the typed events they care about; the socket
// reconnects by itself after a network drop, and `onStatus` tells the header whether pops can arrive.
// When the service itself ends the socket (a logout elsewhere, the session's expiry, a new password,
// role or extension) or refuses it, socket.io does not reconnect: `onServerClosed` tells the app, which
// asks who the user is now and shows the login page or reconnects (app.tsx).
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/contract/index.js';

export type RealtimeSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let socket: RealtimeSocket | null = null;
const statusListeners = new Set<(connected: boolean) => void>();
const closedListeners = new Set<() => void>();
// Subscriptions live here, not on the socket: components subscribe in their effects, which run before
// the app's own effect connects, and they survive a logout and a new socket.
const listeners = new Map<string, Set<(...args: unknown[]) => void>>();

export function connectRealtime(): RealtimeSocket {
  if (socket) return socket;
  const s: RealtimeSocket = io({ path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'] });
  // body[data-realtime] tells tests (and CSS) whether pops can arrive now.
  const status = (connected: boolean) => {
    document.body.dataset['realtime'] = connected ? 'connected' : 'disconnected';
    statusListeners.forEach((l) => l(connected));
  };
  s.on('connect', () => status(true));
  s.on('disconnect', (reason) => {
    status(false);
    if (reason === 'io server disconnect') closedListeners.forEach((l) => l());
  });
  s.on('connect_error', (err) => {
    status(false);
    if (err.message === 'CTI_ERR_UNAUTHORIZED') closedListeners.forEach((l) => l());
  });
  s.onAny((event: string, ...args: unknown[]) => listeners.get(event)?.forEach((fn) => fn(...args)));
  socket = s;
  return s;
}

export function disconnectRealtime(): void {
  socket?.disconnect();
  delete document.body.dataset['realtime'];
  socket = null;
}

/** Opens the same socket again (a new handshake: the rooms of the user as they are now). */
export function reconnectRealtime(): void {
  if (socket && !socket.connected) socket.connect();
}

/** The service ended or refused this socket; it will not come back by itself. */
export function onServerClosed(fn: () => void): () => void {
  closedListeners.add(fn);
  return () => closedListeners.delete(fn);
}

export function realtime(): RealtimeSocket | null {
  return socket;
}

export function onStatus(fn: (connected: boolean) => void): () => void {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

/** Subscribes to one event for the life of a component; returns the unsubscribe for useEffect. */
export function subscribe<E extends keyof ServerToClientEvents>(event: E, fn: ServerToClientEvents[E]): () => void {
  const set = listeners.get(event) ?? new Set();
  listeners.set(event, set);
  const f = fn as (...args: unknown[]) => void;
  set.add(f);
  return () => set.delete(f);
}
