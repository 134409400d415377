import type { StreamEvent } from '@spot/contract';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventConnection, type EventSourceLike, type LinkState } from '../src/events/connection';

/** A stand-in for the browser's EventSource: the test opens, fails and feeds it by hand. */
class FakeES implements EventSourceLike {
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((ev: MessageEvent) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, fn: (ev: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  fail(readyState: 0 | 2) {
    this.readyState = readyState;
    this.onerror?.(new Event('error'));
  }
  emit(type: string, data: string) {
    for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data }));
  }
}

describe('EventConnection', () => {
  let sources: FakeES[];
  let states: LinkState[];
  let events: StreamEvent[];
  let lastSeq: number | null;
  let fresh: number;
  let conn: EventConnection;

  beforeEach(() => {
    vi.useFakeTimers();
    sources = [];
    states = [];
    events = [];
    lastSeq = null;
    fresh = 0;
    conn = new EventConnection({
      path: '/api/events/stream/c1',
      lastSeq: () => lastSeq,
      onEvent: (e) => {
        events.push(e);
        if (e.seq !== undefined) lastSeq = e.seq;
      },
      onState: (s) => states.push(s),
      onFreshStart: () => fresh++,
      create: (url) => {
        const es = new FakeES(url);
        sources.push(es);
        return es;
      },
    });
  });
  afterEach(() => {
    conn.stop();
    vi.useRealTimers();
  });

  const frame = (seq: number, type = 'INSTANCE_RUNNING') =>
    JSON.stringify({ seq, type, data: { x: 1 }, timestamp: '2026-11-24T10:00:00.000Z' });

  it('opens without a resume point, asks for a snapshot once open, and passes typed events on', () => {
    conn.start();
    expect(sources[0]!.url).toBe('/api/events/stream/c1');
    expect(states).toEqual(['connecting']);
    sources[0]!.open();
    expect(states).toEqual(['connecting', 'connected']);
    expect(fresh).toBe(1);
    sources[0]!.emit('INSTANCE_RUNNING', frame(41));
    sources[0]!.emit(
      'HEARTBEAT',
      JSON.stringify({ type: 'HEARTBEAT', data: {}, timestamp: '2026-11-24T10:00:00.000Z' }),
    );
    expect(events.map((e) => e.type)).toEqual(['INSTANCE_RUNNING', 'HEARTBEAT']);
  });

  it('ignores garbled and unknown frames without dropping the stream', () => {
    conn.start();
    sources[0]!.open();
    sources[0]!.emit('INSTANCE_RUNNING', '{not json');
    sources[0]!.emit('INSTANCE_RUNNING', JSON.stringify({ type: 'NOPE', data: {}, timestamp: 'x' }));
    sources[0]!.emit('INSTANCE_RUNNING', frame(2));
    expect(events).toHaveLength(1);
    expect(sources).toHaveLength(1);
  });

  it("while the browser reconnects by itself (Last-Event-ID), it only reports 'reconnecting'", () => {
    conn.start();
    sources[0]!.open();
    sources[0]!.emit('INSTANCE_RUNNING', frame(7));
    sources[0]!.fail(0);
    expect(states.at(-1)).toBe('reconnecting');
    vi.advanceTimersByTime(30_000);
    expect(sources).toHaveLength(1);
    sources[0]!.open();
    expect(states.at(-1)).toBe('connected');
    expect(fresh).toBe(1);
  });

  it('when the browser gives up, a new EventSource resumes with ?last_event_id', () => {
    conn.start();
    sources[0]!.open();
    sources[0]!.emit('INSTANCE_RUNNING', frame(1234));
    sources[0]!.fail(2);
    expect(states.at(-1)).toBe('reconnecting');
    vi.advanceTimersByTime(1000);
    expect(sources).toHaveLength(2);
    expect(sources[1]!.url).toBe('/api/events/stream/c1?last_event_id=1234');
    sources[1]!.open();
    expect(states.at(-1)).toBe('connected');
    expect(fresh).toBe(1); // resumed: no snapshot needed
  });

  it('backs off, says offline after repeated failures, and recovers', () => {
    conn.start();
    sources[0]!.fail(2);
    vi.advanceTimersByTime(1000);
    sources[1]!.fail(2);
    vi.advanceTimersByTime(2000);
    sources[2]!.fail(2);
    expect(states.at(-1)).toBe('offline');
    vi.advanceTimersByTime(3999);
    expect(sources).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(sources).toHaveLength(4);
    sources[3]!.open();
    expect(states.at(-1)).toBe('connected');
    expect(fresh).toBe(1);
  });

  it('drop() closes the stream and reopens from the last seq; stale events from the old one are ignored', () => {
    conn.start();
    sources[0]!.open();
    sources[0]!.emit('INSTANCE_RUNNING', frame(5));
    conn.drop();
    expect(sources[0]!.closed).toBe(true);
    sources[0]!.emit('INSTANCE_RUNNING', frame(6));
    expect(events).toHaveLength(1);
    vi.advanceTimersByTime(0);
    expect(sources[1]!.url).toBe('/api/events/stream/c1?last_event_id=5');
  });

  it('a silent stream (no heartbeat) is treated as dead and reopened', () => {
    conn = new EventConnection({
      path: '/s',
      lastSeq: () => 9,
      onEvent: () => {},
      onState: (s) => states.push(s),
      onFreshStart: () => {},
      staleAfterMs: 1000,
      create: (url) => {
        const es = new FakeES(url);
        sources.push(es);
        return es;
      },
    });
    conn.start();
    sources[0]!.open();
    vi.advanceTimersByTime(2100);
    expect(sources[0]!.closed).toBe(true);
    expect(sources.at(-1)!.url).toBe('/s?last_event_id=9');
  });

  it('stop() closes and schedules nothing more', () => {
    conn.start();
    sources[0]!.fail(2);
    conn.stop();
    vi.advanceTimersByTime(60_000);
    expect(sources).toHaveLength(1);
  });
});
