// The live client (shared/docs/live-protocol.md): one WebSocket, many
// channels. It remembers the last seq seen per channel, subscribes again with
// `since` after every reconnect, drops duplicates (seq <= last), and tells a
// channel to reload over HTTP when the server could not replay what it missed
// (recovered:false). The socket and the clock are injected, so the logic is
// unit-tested with a fake socket and fake timers.

export interface LiveEvent {
  channel: string;
  /** Absent only on ephemeral `presence` events. */
  seq?: number;
  type: string;
  at?: string;
  data: any;
}

export interface ChannelHandler {
  /** A new event, in seq order, never twice. */
  event(ev: LiveEvent): void;
  /**
   * State must be (re)loaded over HTTP: on the first subscription, and
   * whenever the server could not replay what was missed.
   */
  reload(): void;
  /**
   * The server sent an `error` frame for the channel. When the code ends the
   * subscription (see endsSubscription: the channel was refused, or is no
   * longer allowed — a talk back to draft, a speaker removed from the talk),
   * the client has already dropped the channel: it is not subscribed again
   * on reconnects and this handler hears nothing more. Subscribing again is
   * a new try.
   */
  error?(code: string, message: string): void;
}

/**
 * Whether an `error` frame with this code ends the channel's subscription:
 * the server no longer delivers it, and asking again would be refused again.
 */
export function endsSubscription(code: string): boolean {
  return code === 'forbidden' || code === 'unauthorized' || code === 'not_found';
}

/** The part of a WebSocket the client uses. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev?: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev?: { code?: number }) => void) | null;
  onerror: ((ev?: unknown) => void) | null;
}

export type LiveStatus = 'connecting' | 'online' | 'offline';

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface LiveOptions {
  connect: () => SocketLike;
  clock?: Clock;
  random?: () => number;
  /** First reconnect delay; doubles each failed attempt up to maxDelay. */
  baseDelay?: number;
  maxDelay?: number;
  /** Client ping interval; the server drops clients silent for 60 s. */
  pingInterval?: number;
  /** Reconnect when nothing arrived for this long (a dead connection). */
  idleTimeout?: number;
}

const realClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

interface Channel {
  name: string;
  handlers: Set<ChannelHandler>;
  /** The last seq seen; undefined until the first `subscribed`. */
  last?: number;
  /** Whether `subscribed` arrived on the current connection. */
  ready: boolean;
}

/**
 * Reconnect delay for the given attempt (0-based): exponential with "equal
 * jitter" — half fixed, half random — so a restarted server is not hit by
 * every client in the same millisecond.
 */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number): number {
  const cap = Math.min(max, base * 2 ** Math.min(attempt, 16));
  return Math.round(cap / 2 + random() * (cap / 2));
}

export class LiveClient {
  private opts: Required<Omit<LiveOptions, 'connect' | 'clock' | 'random'>>;
  private connectFn: () => SocketLike;
  private clock: Clock;
  private random: () => number;
  private channels = new Map<string, Channel>();
  private sock: SocketLike | null = null;
  private open = false;
  private running = false;
  private attempt = 0;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private idleTimer: unknown = null;
  private statusListeners = new Set<(s: LiveStatus) => void>();
  private _status: LiveStatus = 'offline';

  constructor(o: LiveOptions) {
    this.connectFn = o.connect;
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
    this.opts = {
      baseDelay: o.baseDelay ?? 500,
      maxDelay: o.maxDelay ?? 30_000,
      pingInterval: o.pingInterval ?? 25_000,
      idleTimeout: o.idleTimeout ?? 60_000,
    };
  }

  get status(): LiveStatus {
    return this._status;
  }

  /** Calls fn with the current status now and on every change. */
  onStatus(fn: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(fn);
    fn(this._status);
    return () => this.statusListeners.delete(fn);
  }

  /** The last seq seen on a channel (for tests and debugging). */
  lastSeq(channel: string): number | undefined {
    return this.channels.get(channel)?.last;
  }

  /**
   * Follows a channel. The handler's reload() is called once the channel is
   * subscribed (load state over HTTP then), and again if events were lost.
   * Returns the unsubscribe function.
   */
  subscribe(channel: string, h: ChannelHandler): () => void {
    let ch = this.channels.get(channel);
    if (!ch) {
      ch = { name: channel, handlers: new Set(), ready: false };
      this.channels.set(channel, ch);
      ch.handlers.add(h);
      this.sendSubscribe(ch);
    } else {
      ch.handlers.add(h);
      if (ch.ready) h.reload();
    }
    this.start();
    const mine = ch;
    return () => {
      const c = this.channels.get(channel);
      // Gone already (ended by the server), or a newer subscription of the same name.
      if (!c || c !== mine) return;
      c.handlers.delete(h);
      if (c.handlers.size === 0) {
        this.channels.delete(channel);
        if (this.open) this.sendRaw({ op: 'unsubscribe', channel });
      }
    };
  }

  /** Connects (if not already). Subscribing starts the client by itself. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  /** Disconnects for good (until start() or subscribe()). */
  stop(): void {
    this.running = false;
    this.clearTimers();
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const s = this.sock;
    this.sock = null;
    this.open = false;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      s.close(1000);
    }
    this.setStatus('offline');
  }

  /** Reconnect now instead of waiting out the backoff (e.g. the browser came back online). */
  retryNow(): void {
    if (!this.running || this.sock) return;
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  /**
   * Drops the current connection and connects again at once, resubscribing
   * with `since`: the socket is authenticated by the cookie when it opens,
   * so this is needed after logging in or out.
   */
  reconnect(): void {
    if (!this.running) return;
    const s = this.sock;
    this.sock = null;
    this.open = false;
    this.clearTimers();
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      s.close(1000);
    }
    for (const ch of this.channels.values()) ch.ready = false;
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    this.connect();
  }

  private setStatus(s: LiveStatus): void {
    if (s === this._status) return;
    this._status = s;
    for (const fn of this.statusListeners) fn(s);
  }

  private connect(): void {
    this.retryTimer = null;
    this.setStatus(this.attempt === 0 ? 'connecting' : 'offline');
    let s: SocketLike;
    try {
      s = this.connectFn();
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.sock = s;
    s.onopen = () => {
      if (this.sock !== s) return;
      this.open = true;
      for (const ch of this.channels.values()) {
        ch.ready = false;
        this.sendSubscribe(ch);
      }
      this.armIdle();
      this.armPing();
    };
    s.onmessage = (ev) => {
      if (this.sock !== s) return;
      this.armIdle();
      if (typeof ev.data !== 'string') return;
      let msg: any;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.handle(msg);
    };
    s.onerror = () => {
      /* onclose follows */
    };
    s.onclose = () => {
      if (this.sock !== s) return;
      this.sock = null;
      this.open = false;
      this.clearTimers();
      for (const ch of this.channels.values()) ch.ready = false;
      if (this.running) this.scheduleReconnect();
    };
  }

  // A refused upgrade (429: too many live sockets for this account or
  // address; 403; a server down) is, to a browser, a socket that closes
  // before it opens. It counts as a failed attempt like any other: the delay
  // doubles up to maxDelay, and only a `subscribed` resets it, so a client
  // over the cap retries every 15–30 s, not in a loop.
  private scheduleReconnect(): void {
    this.setStatus('offline');
    const delay = backoffDelay(this.attempt, this.opts.baseDelay, this.opts.maxDelay, this.random);
    this.attempt++;
    this.retryTimer = this.clock.setTimeout(() => this.connect(), delay);
  }

  private clearTimers(): void {
    if (this.pingTimer !== null) this.clock.clearTimeout(this.pingTimer);
    if (this.idleTimer !== null) this.clock.clearTimeout(this.idleTimer);
    this.pingTimer = this.idleTimer = null;
  }

  private armPing(): void {
    if (this.pingTimer !== null) this.clock.clearTimeout(this.pingTimer);
    this.pingTimer = this.clock.setTimeout(() => {
      this.pingTimer = null;
      if (!this.open) return;
      this.sendRaw({ op: 'ping' });
      this.armPing();
    }, this.opts.pingInterval);
  }

  private armIdle(): void {
    if (this.idleTimer !== null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = null;
      // Nothing (not even a pong) for too long: the connection is dead.
      const s = this.sock;
      if (s) {
        s.close(4000, 'idle');
        s.onclose?.({ code: 4000 });
      }
    }, this.opts.idleTimeout);
  }

  private sendRaw(msg: object): void {
    if (!this.sock || !this.open) return;
    try {
      this.sock.send(JSON.stringify(msg));
    } catch {
      /* the close handler reconnects */
    }
  }

  private sendSubscribe(ch: Channel): void {
    if (!this.open) return;
    const m: { op: string; channel: string; since?: number } = { op: 'subscribe', channel: ch.name };
    if (ch.last !== undefined) m.since = ch.last;
    this.sendRaw(m);
  }

  private handle(msg: any): void {
    switch (msg?.op) {
      case 'subscribed': {
        const ch = this.channels.get(msg.channel);
        if (!ch) return;
        this.attempt = 0;
        this.setStatus('online');
        const seq = typeof msg.seq === 'number' ? msg.seq : undefined;
        const first = ch.last === undefined;
        ch.ready = true;
        if (first || msg.recovered === false) {
          ch.last = seq ?? ch.last;
          for (const h of [...ch.handlers]) h.reload();
        } else if (seq !== undefined && seq > (ch.last ?? 0)) {
          // Replay gave us everything up to seq.
          ch.last = seq;
        }
        return;
      }
      case 'event': {
        const ch = this.channels.get(msg.channel);
        if (!ch) return;
        const ev: LiveEvent = { channel: msg.channel, seq: msg.seq, type: msg.type, at: msg.at, data: msg.data };
        if (typeof ev.seq === 'number') {
          if (ch.last !== undefined && ev.seq <= ch.last) return; // seen already
          const gap = ch.last !== undefined && ev.seq > ch.last + 1;
          ch.last = ev.seq;
          for (const h of [...ch.handlers]) h.event(ev);
          // The protocol promises no gaps; if one shows up anyway, reload.
          if (gap) for (const h of [...ch.handlers]) h.reload();
        } else {
          for (const h of [...ch.handlers]) h.event(ev);
        }
        return;
      }
      case 'error': {
        if (!msg.channel) return;
        const ch = this.channels.get(msg.channel);
        if (!ch) return;
        const code = typeof msg.code === 'string' ? msg.code : 'error';
        // A refused or revoked channel is over: the server delivers nothing
        // more on it, so it is dropped (before the handlers hear of it, so
        // that one may subscribe afresh) and not subscribed again on every
        // reconnect. Other errors leave the subscription as it is.
        if (endsSubscription(code)) this.channels.delete(msg.channel);
        for (const h of [...ch.handlers]) h.error?.(code, typeof msg.message === 'string' ? msg.message : '');
        return;
      }
      default:
        return; // pong and unknown ops
    }
  }
}

let shared: LiveClient | null = null;

/** Reconnects the app's live connection if there is one (after login or logout). */
export function reconnectLive(): void {
  shared?.reconnect();
}

/** The app's one live connection, to this origin's /api/v1/live. */
export function liveClient(): LiveClient {
  if (shared) return shared;
  const client = new LiveClient({
    connect: () =>
      new WebSocket((location.protocol === 'https:' ? 'wss' : 'ws') + '://' + location.host + '/api/v1/live') as unknown as SocketLike,
  });
  window.addEventListener('online', () => client.retryNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') client.retryNow();
  });
  shared = client;
  return client;
}
