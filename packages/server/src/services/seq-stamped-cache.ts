import { ByteBoundedLru } from './byte-bounded-lru.ts';

/** More events than this since a held answer: read it again rather than look through them. */
export const FORWARD_EVENTS_MAX = 2_000;

/**
 * How long after its read from the table a held answer may be brought forward by events: an
 * hour, and at most half the event retention — events older than the retention are deleted,
 * and an answer must never be brought forward across a gap.
 */
export function forwardForMs(eventRetentionMs: number): number {
  return Math.min(3_600_000, eventRetentionMs / 2);
}

/** An answer held with its stamp. */
export interface Stamped<M> {
  seq: number;
  /** What the answer was rendered from, for a build that brings it forward instead of reading it all. */
  model: M;
  body: Buffer;
}

/**
 * Serialized answers (UTF-8 bytes, ready for the socket) of a tenant's read models, each
 * stamped with the tenant's latest event sequence number at the time it was read. Sound
 * because of two facts the outbox gives: every change to what such an answer shows appends
 * an event for its tenant in the same transaction, and sequence numbers become visible in
 * commit order (events-outbox.ts). So an
 * answer read AFTER learning that the latest seq was N shows every change up to N, and while
 * the latest seq is still N nothing it shows has changed. The caller checks the latest seq
 * against the database on every read (one index probe) — a change made by any process,
 * this one or another server on the same database, is seen on the next read.
 *
 * Bounded by the bytes it holds; the least recently used answers go first.
 */
export class SeqStampedCache<M = unknown> {
  private readonly entries: ByteBoundedLru<Stamped<M>>;
  hits = 0;
  misses = 0;

  constructor(maxBytes: number) {
    this.entries = new ByteBoundedLru(maxBytes);
  }

  /**
   * The answer for `key` as of `seq`: the stored one when it was stamped with this very seq,
   * otherwise `build(held)` (which must read the database only after `seq` was read; `held` is
   * the older stamped answer, if any, to bring forward) stored in its place. The last build
   * stored wins, even one for an older seq than the entry it replaces (a slow build, or a
   * client whose events the retention deleted, so its latest seq went down): an answer
   * stamped N shows at least every change up to N, which is all a later read relies on.
   */
  async get(
    key: string,
    seq: number,
    build: (
      held: Stamped<M> | undefined,
    ) => Promise<{ model: M; body: string | Buffer; modelBytes?: number }>,
  ): Promise<Buffer> {
    const held = this.entries.get(key);
    if (held && held.seq === seq) {
      this.hits++;
      return held.body;
    }
    this.misses++;
    const built = await build(held && held.seq < seq ? held : undefined);
    // Encoded once here (if it is text), not at every send of a 1 MB answer.
    const body = typeof built.body === 'string' ? Buffer.from(built.body) : built.body;
    // What it holds in memory: the body plus the model's own estimate of itself.
    this.entries.set(key, { seq, model: built.model, body }, body.byteLength + (built.modelBytes ?? 0));
    return body;
  }

  get size(): number {
    return this.entries.size;
  }

  get heldBytes(): number {
    return this.entries.heldBytes;
  }
}
