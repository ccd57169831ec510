import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, LiveClient, type LiveEvent, type SocketLike } from './live';

class FakeSocket implements SocketLike {
  sent: any[] = [];
  closed = false;
  onopen: ((ev?: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev?: { code?: number }) => void) | null = null;
  onerror: ((ev?: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  // server side
  accept() {
    this.onopen?.();
  }
  push(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1012) {
    this.onclose?.({ code });
  }
  subs() {
    return this.sent.filter((m) => m.op === 'subscribe');
  }
}

function setup(random = () => 0.5) {
  const sockets: FakeSocket[] = [];
  const client = new LiveClient({
    connect: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    clock: { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as any), now: () => Date.now() },
    random,
    baseDelay: 500,
    maxDelay: 8000,
  });
  const events: LiveEvent[] = [];
  const reloads: number[] = [];
  const statuses: string[] = [];
  const errors: string[] = [];
  client.onStatus((s) => statuses.push(s));
  const unsub = client.subscribe('talk:42', {
    event: (e) => events.push(e),
    reload: () => reloads.push(Date.now()),
    error: (code, message) => errors.push(`${code}: ${message}`),
  });
  const last = () => sockets[sockets.length - 1];
  return {
    client,
    sockets,
    events,
    reloads,
    statuses,
    errors,
    unsub,
    last,
    /** The server accepts the newest socket and confirms talk:42 at seq. */
    subscribed(seq: number) {
      last().accept();
      last().push({ op: 'subscribed', channel: 'talk:42', seq });
    },
    /** The connection drops; ms later the client has dialled again, and the server accepts. */
    reconnectAfter(ms: number) {
      last().drop();
      vi.advanceTimersByTime(ms);
      last().accept();
    },
  };
}

const ev = (seq: number, type = 'question.voted', data: object = { id: 1, votes: seq }) => ({
  op: 'event',
  channel: 'talk:42',
  seq,
  type,
  data,
});

describe('LiveClient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('subscribes without since first, and asks for an HTTP load once subscribed', () => {
    const t = setup();
    expect(t.sockets).toHaveLength(1);
    t.last().accept();
    expect(t.last().subs()).toEqual([{ op: 'subscribe', channel: 'talk:42' }]);
    t.last().push({ op: 'subscribed', channel: 'talk:42', seq: 10, recovered: true });
    expect(t.reloads).toHaveLength(1);
    expect(t.client.lastSeq('talk:42')).toBe(10);
    expect(t.client.status).toBe('online');
  });

  it('delivers events in order and drops duplicates and old seqs', () => {
    const t = setup();
    t.subscribed(10);
    t.last().push(ev(11));
    t.last().push(ev(11));
    t.last().push(ev(9));
    t.last().push(ev(12));
    expect(t.events.map((e) => e.seq)).toEqual([11, 12]);
    expect(t.client.lastSeq('talk:42')).toBe(12);
  });

  it('passes presence (no seq) through without touching seq', () => {
    const t = setup();
    t.subscribed(3);
    t.last().push({ op: 'event', channel: 'talk:42', type: 'presence', data: { viewers: 7 } });
    expect(t.events[0].data).toEqual({ viewers: 7 });
    expect(t.client.lastSeq('talk:42')).toBe(3);
  });

  it('reconnects with jittered exponential backoff and resubscribes with since', () => {
    const t = setup(() => 0); // lowest jitter: half the cap
    t.subscribed(10);
    t.last().push(ev(11));
    t.last().drop(1012);
    expect(t.client.status).toBe('offline');
    expect(t.sockets).toHaveLength(1);
    vi.advanceTimersByTime(249);
    expect(t.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1); // 500/2
    expect(t.sockets).toHaveLength(2);
    // This one fails before opening: the next wait doubles.
    t.last().drop(1006);
    vi.advanceTimersByTime(499);
    expect(t.sockets).toHaveLength(2);
    vi.advanceTimersByTime(1); // 1000/2
    expect(t.sockets).toHaveLength(3);
    t.last().accept();
    expect(t.last().subs()).toEqual([{ op: 'subscribe', channel: 'talk:42', since: 11 }]);
    // Replay, then subscribed recovered:true: no reload, nothing twice.
    t.last().push(ev(11));
    t.last().push(ev(12));
    t.last().push(ev(13));
    t.last().push({ op: 'subscribed', channel: 'talk:42', seq: 13, recovered: true });
    t.last().push(ev(14));
    expect(t.events.map((e) => e.seq)).toEqual([11, 12, 13, 14]);
    expect(t.reloads).toHaveLength(1);
    expect(t.client.status).toBe('online');
    // Backoff resets after a successful subscription.
    t.last().drop();
    vi.advanceTimersByTime(250);
    expect(t.sockets).toHaveLength(4);
  });

  it('asks for a reload when the server could not recover, and continues from its seq', () => {
    const t = setup();
    t.subscribed(5);
    t.reconnectAfter(10_000);
    expect(t.last().subs()[0].since).toBe(5);
    t.last().push({ op: 'subscribed', channel: 'talk:42', seq: 20000, recovered: false });
    expect(t.reloads).toHaveLength(2);
    t.last().push(ev(20000));
    t.last().push(ev(20001));
    expect(t.events.map((e) => e.seq)).toEqual([20001]);
  });

  it('reloads when a gap shows up', () => {
    const t = setup();
    t.subscribed(5);
    t.last().push(ev(8));
    expect(t.events.map((e) => e.seq)).toEqual([8]);
    expect(t.reloads).toHaveLength(2);
  });

  it('jitter stays within [cap/2, cap] and the cap is bounded', () => {
    for (let a = 0; a < 20; a++) {
      for (const r of [0, 0.3, 0.999]) {
        const d = backoffDelay(a, 500, 30_000, () => r);
        const cap = Math.min(30_000, 500 * 2 ** a);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('pings while open and treats a silent connection as dead', () => {
    const t = setup();
    t.subscribed(1);
    vi.advanceTimersByTime(25_000);
    expect(t.last().sent.some((m) => m.op === 'ping')).toBe(true);
    t.last().push({ op: 'pong' });
    vi.advanceTimersByTime(59_999);
    expect(t.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(t.sockets[0].closed).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(t.sockets).toHaveLength(2);
  });

  it('unsubscribes and stops resubscribing a channel nobody follows', () => {
    const t = setup();
    t.subscribed(1);
    t.unsub();
    expect(t.last().sent.at(-1)).toEqual({ op: 'unsubscribe', channel: 'talk:42' });
    t.reconnectAfter(1000);
    expect(t.last().subs()).toEqual([]);
  });

  it('reports a refused channel and does not retry it', () => {
    const t = setup();
    const errs: string[] = [];
    t.client.subscribe('talk:42:staff', { event() {}, reload() {}, error: (c) => errs.push(c) });
    t.last().accept();
    t.last().push({ op: 'error', code: 'forbidden', message: 'staff channel', channel: 'talk:42:staff' });
    expect(errs).toEqual(['forbidden']);
    t.reconnectAfter(1000);
    expect(t.last().subs().map((s) => s.channel)).toEqual(['talk:42']);
  });

  it('a revoked staff channel ends: handler told, nothing more delivered, not resubscribed', () => {
    const t = setup();
    const staffEvents: LiveEvent[] = [];
    const staffErrors: string[] = [];
    const unsubStaff = t.client.subscribe('talk:42:staff', {
      event: (e) => staffEvents.push(e),
      reload() {},
      error: (code, message) => staffErrors.push(`${code}: ${message}`),
    });
    t.subscribed(10);
    t.last().push({ op: 'subscribed', channel: 'talk:42:staff', seq: 4 });
    t.last().push({ ...ev(5), channel: 'talk:42:staff' });
    // The speaker is removed from the talk.
    t.last().push({ op: 'error', code: 'forbidden', message: 'not staff of this talk', channel: 'talk:42:staff' });
    expect(staffErrors).toEqual(['forbidden: not staff of this talk']);
    expect(t.client.lastSeq('talk:42:staff')).toBeUndefined();
    t.last().push({ ...ev(6), channel: 'talk:42:staff' });
    expect(staffEvents.map((e) => e.seq)).toEqual([5]);
    // The public channel goes on.
    t.last().push(ev(11));
    expect(t.events.map((e) => e.seq)).toEqual([11]);
    expect(t.errors).toEqual([]);
    // Nothing to unsubscribe from: the server ended it.
    unsubStaff();
    expect(t.last().sent.filter((m) => m.op === 'unsubscribe')).toEqual([]);
    // A dropped connection, and a reconnect after login: only the public channel again.
    t.reconnectAfter(1000);
    expect(t.last().subs()).toEqual([{ op: 'subscribe', channel: 'talk:42', since: 11 }]);
    t.client.reconnect();
    t.last().accept();
    expect(t.last().subs()).toEqual([{ op: 'subscribe', channel: 'talk:42', since: 11 }]);
    expect(staffErrors).toHaveLength(1);
  });

  it('a revoked public channel (talk back to draft) ends and is not resubscribed', () => {
    const t = setup();
    t.subscribed(10);
    t.last().push(ev(11));
    t.last().push({ op: 'error', code: 'forbidden', message: 'talk not available', channel: 'talk:42' });
    expect(t.errors).toEqual(['forbidden: talk not available']);
    t.last().push(ev(12));
    expect(t.events.map((e) => e.seq)).toEqual([11]);
    t.reconnectAfter(10_000);
    expect(t.last().subs()).toEqual([]);
    // Following it again is a new subscription, and the old unsubscribe does not end it.
    const again: LiveEvent[] = [];
    t.client.subscribe('talk:42', { event: (e) => again.push(e), reload() {} });
    expect(t.last().subs()).toEqual([{ op: 'subscribe', channel: 'talk:42' }]);
    t.unsub();
    expect(t.last().sent.filter((m) => m.op === 'unsubscribe')).toEqual([]);
    t.last().push({ op: 'subscribed', channel: 'talk:42', seq: 30 });
    t.last().push(ev(31));
    expect(again.map((e) => e.seq)).toEqual([31]);
  });

  it('an error that does not end the subscription keeps the channel', () => {
    const t = setup();
    t.subscribed(3);
    t.last().push({ op: 'error', code: 'rate_limited', message: 'slow down', channel: 'talk:42' });
    expect(t.errors).toEqual(['rate_limited: slow down']);
    t.last().push(ev(4));
    expect(t.events.map((e) => e.seq)).toEqual([4]);
    t.reconnectAfter(1000);
    expect(t.last().subs()).toEqual([{ op: 'subscribe', channel: 'talk:42', since: 4 }]);
  });

  it('backs off on refused upgrades (429: too many live sockets) instead of looping', () => {
    const t = setup(() => 0.5); // delay = 3/4 of the cap; maxDelay 8000
    const at: number[] = [Date.now()];
    // The browser reports a refused upgrade as an error, then a close before open.
    const refuse = () => {
      t.last().onerror?.();
      t.last().drop(1006);
    };
    for (let i = 0; i < 10; i++) {
      refuse();
      const n = t.sockets.length;
      vi.advanceTimersToNextTimer();
      expect(t.sockets).toHaveLength(n + 1);
      at.push(Date.now());
    }
    const gaps = at.slice(1).map((x, i) => x - at[i]);
    expect(gaps).toEqual([375, 750, 1500, 3000, 6000, 6000, 6000, 6000, 6000, 6000]);
    expect(t.client.status).toBe('offline');
    expect(t.sockets.every((s) => s.sent.length === 0)).toBe(true);
    // Coming back to the tab tries at once, but does not reset the backoff.
    refuse();
    t.client.retryNow();
    expect(t.sockets).toHaveLength(12);
    refuse();
    const before = Date.now();
    vi.advanceTimersToNextTimer();
    expect(Date.now() - before).toBe(6000);
    // Accepted at last: the backoff starts over once subscribed.
    t.subscribed(1);
    t.last().drop();
    vi.advanceTimersByTime(375);
    expect(t.sockets).toHaveLength(14);
  });

  it('stop() closes and does not reconnect', () => {
    const t = setup();
    t.last().accept();
    t.client.stop();
    expect(t.sockets[0].closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(t.sockets).toHaveLength(1);
  });
});

describe('LiveClient.reconnect', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  it('reconnects at once and resubscribes with since (new identity after login)', () => {
    const t = setup();
    t.subscribed(7);
    t.client.reconnect();
    expect(t.sockets[0].closed).toBe(true);
    expect(t.sockets).toHaveLength(2);
    t.last().accept();
    expect(t.last().subs()).toEqual([{ op: 'subscribe', channel: 'talk:42', since: 7 }]);
  });
});
