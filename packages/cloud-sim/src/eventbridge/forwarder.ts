// Sends the simulator's EC2 events to an HTTP endpoint as EventBridge would deliver them (a second
// interruption source besides IMDS). Fire-and-forget: a ticker on the real clock asks the core which
// events have happened (EventCursor), and each envelope is POSTed in order on one background chain
// with a few retries. Nothing here can throw into the simulator or hold a request up; every delivery
// ends up in a bounded log (GET /_sim/eventbridge).

import { randomUUID } from 'node:crypto';
import { wallIsoExact } from '../core/clock.ts';
import { EventCursor, type LifecycleEvent } from '../core/lifecycle-events.ts';
import { OWNER_ID, type Simulator } from '../core/simulator.ts';
import type { LogFn } from '../http/server.ts';
import { detailType, envelope } from './envelope.ts';

export interface DeliveryEntry {
  detail_type: string;
  instance_id: string;
  status: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: number;
  /** When the event happened (wall clock, to the millisecond). */
  at: string;
  http_status: number | null;
  error: string | null;
}

export interface ForwarderOptions {
  sim: Simulator;
  url: string;
  headers: Record<string, string>;
  log: LogFn;
  /** Attempts per envelope (default 4: one try and three retries). */
  maxAttempts?: number;
  /** Real ms before the first retry, doubled for each next one (default 250). */
  retryDelayMs?: number;
  /** Real ms one attempt may take (default 5000). */
  attemptTimeoutMs?: number;
  /** Real ms between looks for new events (default 100). */
  tickMs?: number;
}

const MAX_LOG = 1000;
const MAX_QUEUE = 10_000;

export class EventBridgeForwarder {
  private readonly cursor = new EventCursor();
  private readonly entries: DeliveryEntry[] = [];
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: ForwarderOptions) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 100);
    this.timer.unref();
  }

  /** Stops looking for events; deliveries under way give up their remaining retries. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** The delivery log, oldest first. */
  log(): DeliveryEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** Queues the events that have happened since the last look. */
  tick(): void {
    if (this.stopped) return;
    try {
      for (const e of this.cursor.due(this.o.sim.list(), this.o.sim.now())) this.enqueue(e);
    } catch (err) {
      this.o.log({ level: 'error', msg: 'eventbridge: collecting events failed', error: String(err) });
    }
  }

  /** Looks for events now and resolves when everything queued so far has been delivered or given up. */
  flush(): Promise<void> {
    this.tick();
    return this.chain;
  }

  private enqueue(e: LifecycleEvent): void {
    const entry: DeliveryEntry = {
      detail_type: detailType(e),
      instance_id: e.instanceId,
      status: 'pending',
      attempts: 0,
      at: wallIsoExact(this.o.sim.clock, e.at),
      http_status: null,
      error: null,
    };
    this.entries.push(entry);
    if (this.entries.length > MAX_LOG) this.entries.splice(0, this.entries.length - MAX_LOG);
    if (this.queued >= MAX_QUEUE) {
      // A receiver that is down for long must not grow memory without bound.
      entry.status = 'dropped';
      return;
    }
    const body = JSON.stringify(
      envelope(e, {
        id: randomUUID(),
        account: OWNER_ID,
        region: this.o.sim.catalog.region,
        clock: this.o.sim.clock,
      }),
    );
    this.queued++;
    this.chain = this.chain.then(() => this.deliver(body, entry)).finally(() => this.queued--);
  }

  private async deliver(body: string, entry: DeliveryEntry): Promise<void> {
    const max = this.o.maxAttempts ?? 4;
    let delay = this.o.retryDelayMs ?? 250;
    for (let attempt = 1; attempt <= max; attempt++) {
      entry.attempts = attempt;
      let retry = true;
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.o.headers },
          body,
          signal: AbortSignal.timeout(this.o.attemptTimeoutMs ?? 5000),
        });
        await res.arrayBuffer().catch(() => undefined);
        entry.http_status = res.status;
        entry.error = null;
        if (res.ok) {
          entry.status = 'delivered';
          return;
        }
        // As EventBridge targets: throttling and server errors are retried, other refusals are final.
        retry = res.status === 429 || res.status >= 500;
        entry.error = `HTTP ${res.status}`;
      } catch (err) {
        entry.error = err instanceof Error ? err.message : String(err);
      }
      if (!retry || this.stopped || attempt === max) break;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay *= 2;
    }
    entry.status = 'failed';
    this.o.log({
      level: 'warn',
      msg: 'eventbridge delivery failed',
      detail_type: entry.detail_type,
      instance_id: entry.instance_id,
      attempts: entry.attempts,
      error: entry.error,
    });
  }
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Checks an EventBridge target: an http(s) URL and header names/values fit for HTTP. */
export function checkTarget(url: string, headers: Record<string, string>): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`the EventBridge URL '${url}' is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`the EventBridge URL must be http or https, got '${url}'`);
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new Error(`bad EventBridge header name '${name}'`);
    if (/[\r\n\0]/.test(value)) throw new Error(`bad EventBridge header value for '${name}'`);
  }
}

/** "Name: value" (the CLI's --eventbridge-header) → [name, value]. */
export function parseHeader(text: string): [string, string] {
  const i = text.indexOf(':');
  const name = i > 0 ? text.slice(0, i).trim() : '';
  if (!HEADER_NAME.test(name)) throw new Error(`--eventbridge-header must be 'Name: value', got '${text}'`);
  return [name, text.slice(i + 1).trim()];
}
