import { StreamEvent, StreamEventType } from '@spot/contract';

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** The part of the browser's EventSource we use (tests pass a fake). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onerror: ((ev: Event) => void) | null;
  addEventListener(type: string, fn: (ev: MessageEvent) => void): void;
  close(): void;
}
export type EventSourceFactory = (url: string) => EventSourceLike;

export interface ConnectionOptions {
  /** e.g. /api/events/stream/<client id> */
  path: string;
  lastSeq(): number | null;
  onEvent(event: StreamEvent): void;
  onState(state: LinkState): void;
  /** A connection opened with nothing to resume from: reload the snapshot. */
  onFreshStart(): void;
  create?: EventSourceFactory;
  /** Silence longer than this (no event, no HEARTBEAT) means a dead link. */
  staleAfterMs?: number;
  isOnline?: () => boolean;
}

const CLOSED = 2;
const MAX_BACKOFF_MS = 15_000;
/** After this many failed attempts in a row the indicator says offline rather than reconnecting. */
const OFFLINE_AFTER = 3;

/**
 * Keeps one SSE stream open and resumes it without loss. Two paths resume:
 * - the browser's own reconnect (readyState CONNECTING) sends Last-Event-ID by itself;
 * - when the browser gives up (CLOSED: HTTP error, server gone), we open a new EventSource
 *   with `?last_event_id=<last applied seq>` after a backoff.
 * Duplicates after a resume are harmless: the reducer keeps only newer versions.
 */
export class EventConnection {
  private es: EventSourceLike | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private failures = 0;
  private lastMessageAt = 0;
  private stopped = true;
  private state: LinkState | null = null;

  constructor(private readonly o: ConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
    const stale = this.o.staleAfterMs ?? 75_000;
    this.watchdog = setInterval(
      () => {
        if (this.es && this.state === 'connected' && Date.now() - this.lastMessageAt > stale) this.drop();
      },
      Math.min(stale, 15_000),
    );
  }

  stop(): void {
    this.stopped = true;
    this.es?.close();
    this.es = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.retryTimer = null;
    this.watchdog = null;
  }

  /** Closes the stream and reopens it through the new-EventSource path (also a test hook). */
  drop(delayMs = 0): void {
    if (this.stopped) return;
    this.es?.close();
    this.es = null;
    this.setState('reconnecting');
    this.schedule(delayMs);
  }

  /** The network came back: do not wait for the backoff. */
  retryNow(): void {
    if (this.stopped || this.state === 'connected') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.es?.close();
    this.es = null;
    this.open();
  }

  url(): string {
    const seq = this.o.lastSeq();
    return seq === null ? this.o.path : `${this.o.path}?last_event_id=${seq}`;
  }

  private open(): void {
    const create = this.o.create ?? ((url: string) => new EventSource(url, { withCredentials: true }));
    const resumed = this.o.lastSeq() !== null;
    if (this.state === null) this.setState('connecting');
    const es = create(this.url());
    this.es = es;
    es.onopen = () => {
      if (this.es !== es) return;
      this.failures = 0;
      this.lastMessageAt = Date.now();
      this.setState('connected');
      // Without a resume point, what happened before this stream is only in a snapshot.
      if (!resumed && this.o.lastSeq() === null) this.o.onFreshStart();
    };
    es.onerror = () => {
      if (this.es !== es) return;
      this.failures++;
      const offline = this.failures >= OFFLINE_AFTER || this.o.isOnline?.() === false;
      this.setState(offline ? 'offline' : 'reconnecting');
      if (es.readyState === CLOSED) {
        this.es = null;
        this.schedule(Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.failures, 5)));
      }
    };
    const onMessage = (ev: MessageEvent) => {
      if (this.es !== es) return;
      this.lastMessageAt = Date.now();
      let json: unknown;
      try {
        json = JSON.parse(String(ev.data));
      } catch {
        return; // a garbled frame must not stop the stream
      }
      const parsed = StreamEvent.safeParse(json);
      if (parsed.success) this.o.onEvent(parsed.data);
    };
    for (const type of StreamEventType.options) es.addEventListener(type, onMessage);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped && !this.es) this.open();
    }, ms);
  }

  private setState(s: LinkState): void {
    if (this.state === s) return;
    this.state = s;
    this.o.onState(s);
  }
}
