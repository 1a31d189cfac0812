// The one live connection of the app: a WebSocket to /api/v1/events shared by
// every screen. Subscribe with `live.on(kind, handler)` (returns the
// unsubscribe); `live.on('ready', …)` runs after every (re)connect once the
// missed events are replayed — the moment to refresh lists. Reconnects with
// backoff and `?after=<last seq>`; events are handled once each (by seq).
// A close with code 4401 (access ended) ends the session instead: back to
// the login page (afterClose in live-core.ts decides).
import { api } from '../api/client';
import { SeqGate, afterClose, backoffDelay, eventsUrl, parseFrame } from './live-core';
import { session } from './session.svelte';
import type { EventKind, EventMap, LiveEvent } from './live-events';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

type Handler = (data: never, event: LiveEvent) => void;
type ReadyHandler = (info: { reconnected: boolean }) => void;

class Live {
  /** connecting (first time), live, reconnecting (was live, is down), offline (stopped or no network). */
  state = $state<LiveState>('offline');
  /** The last event sequence number handled. */
  lastSeq = $state<number | null>(null);
  /** When the connection was lost (for "Reconnecting… since"). */
  downSince = $state<number | null>(null);
  /** Seconds to the next attempt while reconnecting. */
  nextAttemptAt = $state<number | null>(null);

  private socket: WebSocket | null = null;
  private gate = new SeqGate();
  private handlers = new Map<string, Set<Handler>>();
  private readyHandlers = new Set<ReadyHandler>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private everReady = false;
  /** Consecutive attempts whose socket never opened. */
  private failures = 0;

  constructor() {
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => this.running && this.state !== 'live' && this.connectNow());
      window.addEventListener('offline', () => this.running && this.socket?.close());
    }
  }

  /** Subscribes to one kind of event (or `'*'` for all). */
  on<K extends EventKind>(kind: K, handler: (data: EventMap[K], event: LiveEvent<K>) => void): () => void;
  on(kind: '*', handler: (data: unknown, event: LiveEvent) => void): () => void;
  on(kind: 'ready', handler: ReadyHandler): () => void;
  on(kind: string, handler: (data: never, event: never) => void): () => void;
  on(kind: string, handler: unknown): () => void {
    if (kind === 'ready') {
      const h = handler as ReadyHandler;
      this.readyHandlers.add(h);
      return () => this.readyHandlers.delete(h);
    }
    const h = handler as Handler;
    let set = this.handlers.get(kind);
    if (!set) this.handlers.set(kind, (set = new Set()));
    set.add(h);
    return () => set.delete(h);
  }

  /** Opens the connection (after login). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.state = 'connecting';
    this.connectNow();
  }

  /** Closes it for good (logout). */
  stop(): void {
    this.running = false;
    this.clearTimer();
    const s = this.socket;
    this.socket = null;
    s?.close();
    this.state = 'offline';
    this.gate = new SeqGate();
    this.lastSeq = null;
    this.everReady = false;
    this.attempt = 0;
    this.failures = 0;
  }

  /** Tries again at once (the banner's "Retry now"). */
  connectNow(): void {
    this.clearTimer();
    if (!this.running) return;
    if (this.socket) {
      const old = this.socket;
      this.socket = null;
      old.onclose = null;
      old.close();
    }
    let socket: WebSocket;
    try {
      socket = new WebSocket(eventsUrl(location, this.gate.last));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
    };
    socket.onmessage = (m) => {
      if (socket !== this.socket || typeof m.data !== 'string') return;
      opened = true;
      this.receive(m.data);
    };
    socket.onclose = (event?: CloseEvent) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.failures = opened ? 0 : this.failures + 1;
      const action = afterClose({ code: event?.code ?? 1006, opened }, this.failures);
      if (action === 'end-session') {
        this.stop();
        if (session.state.status === 'ready') session.ended();
        return;
      }
      // A refused socket may be a session that ended: asking /me lets the
      // 401 handler send the user to the login page.
      if (action === 'check-session') void api.GET('/api/v1/me').catch(() => undefined);
      this.scheduleReconnect();
    };
  }

  private receive(text: string): void {
    const frame = parseFrame(text);
    if (!frame) return;
    if (frame.type === 'ready') {
      this.gate.ready(frame.seq);
      this.lastSeq = this.gate.last;
      const reconnected = this.everReady;
      this.everReady = true;
      this.attempt = 0;
      this.state = 'live';
      this.downSince = null;
      this.nextAttemptAt = null;
      for (const h of [...this.readyHandlers]) safely(() => h({ reconnected }));
      return;
    }
    if (!this.gate.admit(frame.seq)) return;
    this.lastSeq = frame.seq;
    const event = frame as LiveEvent;
    for (const h of [...(this.handlers.get(frame.type) ?? [])]) safely(() => h(event.data as never, event));
    for (const h of [...(this.handlers.get('*') ?? [])]) safely(() => h(event.data as never, event));
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    if (this.state === 'live' || this.downSince === null) this.downSince = Date.now();
    this.state = this.everReady ? 'reconnecting' : 'connecting';
    if (typeof navigator !== 'undefined' && navigator.onLine === false) this.state = 'offline';
    const delay = backoffDelay(this.attempt++);
    this.nextAttemptAt = Date.now() + delay;
    this.timer = setTimeout(() => this.connectNow(), delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function safely(f: () => void): void {
  try {
    f();
  } catch (e) {
    console.error('live event handler failed', e);
  }
}

export const live = new Live();
