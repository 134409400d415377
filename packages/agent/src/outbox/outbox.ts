import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Report } from '../server-client/agent-api.ts';
import { isTransient } from '../server-client/http.ts';
import { abortableSleep, backoffDelay } from '../util/backoff.ts';
import type { Logger } from '../util/logger.ts';
import { type PutLine, replay, serialize } from './outbox-log.ts';

/**
 * A durable, ordered queue of reports for the server (<state-dir>/outbox/outbox.jsonl).
 * Every report is written (and fsynced) here before it is sent, and delivered strictly in
 * the order it was accepted, one at a time: a launch confirmation never overtakes the
 * command result before it, even across a server outage or an agent restart. Each entry's
 * id is its Idempotency-Key, so a report re-sent after a lost answer is de-duplicated by
 * the server.
 */
export type Sender = (report: Report, id: string, signal: AbortSignal) => Promise<unknown>;

export interface OutboxOptions {
  dir: string;
  send: Sender;
  log: Logger;
  backoff?: { baseMs: number; capMs: number };
  /** Undelivered price reports kept at most; older ones are dropped first (prices go stale). */
  maxPendingPricing?: number;
  random?: () => number;
}

export class Outbox {
  private readonly file: string;
  private pending: PutLine[] = [];
  private nextSeq = 0;
  private lines = 0;
  private writeChain: Promise<void> = Promise.resolve();
  /** Wakes the idle worker when a report arrives. */
  private wake: (() => void) | null = null;
  /** Cuts a retry backoff short (flush at shutdown); new reports do not, or they would defeat it. */
  private kick: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private readonly stop = new AbortController();
  private idleWaiters: (() => void)[] = [];
  /** Delivered and permanently rejected counts, for logs and tests. */
  readonly stats = { delivered: 0, rejected: 0, dropped: 0 };

  private constructor(private readonly opts: OutboxOptions) {
    this.file = path.join(opts.dir, 'outbox.jsonl');
  }

  static async open(opts: OutboxOptions): Promise<Outbox> {
    const box = new Outbox(opts);
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = await readFile(box.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const r = replay(text);
    if (r.corrupt > 0) opts.log.warn({ corrupt: r.corrupt }, 'outbox: skipped unreadable lines');
    box.pending = r.pending;
    box.nextSeq = r.nextSeq;
    box.lines = r.lines;
    await box.compact();
    if (box.pending.length)
      opts.log.info({ pending: box.pending.length }, 'outbox: undelivered reports from a previous run');
    return box;
  }

  get size(): number {
    return this.pending.length;
  }

  /** Accepts a report durably; resolves once it is on disk (delivery follows in the background). */
  async enqueue(report: Report): Promise<string> {
    const line: PutLine = {
      op: 'put',
      id: randomUUID(),
      seq: this.nextSeq++,
      created_at: new Date().toISOString(),
      report,
    };
    await this.append(serialize(line));
    this.pending.push(line);
    if (report.kind === 'pricing-report') await this.trimPricing();
    this.wake?.();
    return line.id;
  }

  /** Starts the delivery worker. */
  start(): void {
    this.running ??= this.deliverLoop();
  }

  /** Waits until everything is delivered, or `timeoutMs` passes; true when empty. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.pending.length === 0) return true;
    this.kick?.();
    let timer: NodeJS.Timeout | undefined;
    const emptied = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ok = await Promise.race([emptied, timedOut]);
    clearTimeout(timer);
    return ok;
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.wake?.();
    this.kick?.();
    await this.running;
    await this.writeChain;
  }

  private async deliverLoop(): Promise<void> {
    let failures = 0;
    const backoff = this.opts.backoff ?? { baseMs: 250, capMs: 30_000 };
    while (!this.stop.signal.aborted) {
      const head = this.pending[0];
      if (!head) {
        for (const w of this.idleWaiters.splice(0)) w();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      try {
        await this.opts.send(head.report, head.id, this.stop.signal);
        this.stats.delivered++;
        failures = 0;
        await this.ack(head);
      } catch (err) {
        if (this.stop.signal.aborted) break;
        if (!isTransient(err)) {
          // The server will give the same answer next time (e.g. 409: the instance already
          // moved on). Keeping it would block every report behind it forever.
          this.stats.rejected++;
          this.opts.log.warn(
            { kind: head.report.kind, id: head.id, err: (err as Error).message },
            'outbox: report rejected, dropped',
          );
          await this.ack(head);
          continue;
        }
        const delay = backoffDelay(failures++, backoff, this.opts.random ?? Math.random);
        this.opts.log.warn(
          {
            kind: head.report.kind,
            pending: this.pending.length,
            retry_in_ms: delay,
            err: (err as Error).message,
          },
          'outbox: server unreachable, will retry',
        );
        await new Promise<void>((resolve) => {
          this.kick = resolve;
          void abortableSleep(delay, this.stop.signal).then(resolve);
        });
        this.kick = null;
      }
    }
  }

  private async ack(entry: PutLine): Promise<void> {
    const i = this.pending.indexOf(entry);
    if (i >= 0) this.pending.splice(i, 1);
    await this.append(serialize({ op: 'ack', id: entry.id }));
    if (this.pending.length === 0 && this.lines > 1000) await this.compact();
  }

  private async trimPricing(): Promise<void> {
    const max = this.opts.maxPendingPricing ?? 100;
    const pricing = this.pending.filter((p) => p.report.kind === 'pricing-report');
    // Never drop the head: it may be in flight right now.
    for (const old of pricing.slice(0, Math.max(0, pricing.length - max))) {
      if (old === this.pending[0]) continue;
      this.stats.dropped++;
      await this.ack(old);
    }
  }

  /** Appends one line and fsyncs it: accepted means it survives a crash or power loss. */
  private append(text: string): Promise<void> {
    const next = this.writeChain.then(async () => {
      const fh = await open(this.file, 'a', 0o600);
      try {
        await fh.appendFile(text);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      this.lines++;
    });
    this.writeChain = next.catch(() => undefined);
    return next;
  }

  /** Rewrites the file with only undelivered entries (atomic rename). */
  private compact(): Promise<void> {
    const next = this.writeChain.then(async () => {
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, this.pending.map(serialize).join(''), { mode: 0o600 });
      await rename(tmp, this.file);
      this.lines = this.pending.length;
    });
    this.writeChain = next.catch(() => undefined);
    return next;
  }
}
