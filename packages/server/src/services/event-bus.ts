import type { StreamEvent } from '@spot/contract';
import type { Db } from '../db/database.ts';
import {
  EVENTS_CHANNEL,
  maxEventSeq,
  readClientEventsAfter,
  readEventsAfter,
  type StoredEvent,
} from '../repositories/events-outbox.ts';
import { isoRequired } from '../views/time.ts';
import { ReplayRing } from './replay-ring.ts';

export type Deliver = (event: StreamEvent) => void;

interface Subscriber {
  clientId: string;
  lastSeq: number;
  /** Non-null while the subscriber's replay is running: live events wait here. */
  buffer: StoredEvent[] | null;
  deliver: Deliver;
}

const PAGE = 1000;
/** Events kept in memory for resumes (every tenant's): a few megabytes. */
export const REPLAY_RING_EVENTS = 10_000;
/** Safety net: if a NOTIFY is ever lost (listener reconnect), the outbox is re-read anyway. */
const FALLBACK_POLL_MS = 1000;

/**
 * Fans the event outbox out to live subscribers (SSE and WebSocket connections) of this
 * process. Every replica runs one; NOTIFY wakes it, it reads committed events in sequence
 * order and hands each to the subscribers of that event's tenant. A subscriber resuming
 * after Last-Event-ID first gets the stored events it missed, then the live ones, with no
 * gap and no duplicate.
 */
export class EventBus {
  private lastSeq = 0;
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private pumping = false;
  private again = false;
  private stopListening: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private subscriberCount = 0;
  private ring: ReplayRing | null = null;
  /** Resumes answered from memory and from the outbox, counted. */
  readonly replays = { ring: 0, outbox: 0 };

  constructor(
    private readonly db: Db,
    private readonly onError: (err: unknown) => void,
    private readonly ringCapacity = REPLAY_RING_EVENTS,
  ) {}

  async start(): Promise<void> {
    this.lastSeq = await maxEventSeq(this.db.kysely);
    this.ring = new ReplayRing(this.ringCapacity, this.lastSeq);
    // The payload is the last sequence number its transaction wrote. Sequence numbers commit
    // in order and lastSeq only ever advances in order, so one at or below lastSeq was
    // already delivered (by the local fast path, as a committing replica's own events are):
    // no outbox read. A reconnect ('') or anything unexpected still reads.
    this.stopListening = await this.db.listen(EVENTS_CHANNEL, (payload) => {
      const seq = payload === '' ? Number.NaN : Number(payload);
      if (Number.isSafeInteger(seq) && seq <= this.lastSeq) return;
      this.poke();
    });
    this.timer = setInterval(() => this.poke(), FALLBACK_POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.stopListening?.();
  }

  get size(): number {
    return this.subscriberCount;
  }

  /** Wake the pump; calls while it runs coalesce into one more pass. */
  poke(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const batch = await readEventsAfter(this.db.kysely, this.lastSeq, PAGE);
        for (const e of batch) {
          if (e.seq <= this.lastSeq) continue; // already published on the local fast path
          this.lastSeq = e.seq;
          this.dispatch(e);
        }
        if (batch.length < PAGE) return;
      }
    } catch (err) {
      this.onError(err);
    }
  }

  /**
   * Local fast path: events this process just committed go out without waiting for NOTIFY
   * and a read. Only when they directly follow what the bus has delivered — otherwise an
   * older event (another replica's, or one still in flight) could be overtaken, so the
   * ordinary read-in-order path takes over.
   */
  publishCommitted(events: StoredEvent[]): void {
    for (const e of events) {
      if (e.seq !== this.lastSeq + 1) {
        this.poke();
        return;
      }
      this.lastSeq = e.seq;
      this.dispatch(e);
    }
  }

  private dispatch(e: StoredEvent): void {
    this.ring?.push(e);
    const subs = this.subscribers.get(e.client_id);
    if (!subs) return;
    // One object per event for all subscribers, so transports can serialise it once.
    const event = toStreamEvent(e);
    for (const s of subs) {
      if (s.buffer) s.buffer.push(e);
      else this.send(s, e.seq, event);
    }
  }

  private send(s: Subscriber, seq: number, event: StreamEvent): void {
    if (seq <= s.lastSeq) return;
    s.lastSeq = seq;
    try {
      s.deliver(event);
    } catch (err) {
      this.onError(err);
    }
  }

  /**
   * Subscribe to a tenant's events. With `afterSeq`, replays what was stored after it first.
   * Returns the unsubscribe function.
   */
  async subscribe(clientId: string, afterSeq: number | null, deliver: Deliver): Promise<() => void> {
    const sub: Subscriber = { clientId, lastSeq: afterSeq ?? this.lastSeq, buffer: [], deliver };
    let set = this.subscribers.get(clientId);
    if (!set) {
      set = new Set();
      this.subscribers.set(clientId, set);
    }
    set.add(sub);
    this.subscriberCount++;
    const unsubscribe = () => {
      if (set.delete(sub)) this.subscriberCount--;
      if (set.size === 0 && this.subscribers.get(clientId) === set) this.subscribers.delete(clientId);
    };
    // From memory when the ring holds everything after afterSeq: then, synchronously, the
    // subscriber is caught up to what the bus delivered, and takes live events from here on.
    const held = afterSeq === null ? null : (this.ring?.after(clientId, afterSeq) ?? null);
    if (held) {
      this.replays.ring++;
      for (const e of held) this.send(sub, e.seq, toStreamEvent(e));
      // What the ring ends at the subscriber has, including events of other tenants.
      sub.lastSeq = Math.max(sub.lastSeq, this.lastSeq);
      afterSeq = null;
    } else if (afterSeq !== null) this.replays.outbox++;
    try {
      if (afterSeq !== null) {
        for (;;) {
          const page = await readClientEventsAfter(this.db.kysely, clientId, sub.lastSeq, PAGE);
          for (const e of page) this.send(sub, e.seq, toStreamEvent(e));
          if (page.length < PAGE) break;
        }
      }
    } catch (err) {
      unsubscribe();
      throw err;
    }
    const buffered = sub.buffer ?? [];
    sub.buffer = null;
    for (const e of buffered) this.send(sub, e.seq, toStreamEvent(e));
    return unsubscribe;
  }
}

export function toStreamEvent(e: StoredEvent): StreamEvent {
  return { seq: e.seq, type: e.type, data: e.data, timestamp: isoRequired(e.created_at) };
}
