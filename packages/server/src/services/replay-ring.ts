import type { StoredEvent } from '../repositories/events-outbox.ts';

/**
 * The newest events this process's bus delivered, every tenant's, in sequence order, so a
 * subscriber resuming after Last-Event-ID (a dashboard after a network blip, a thousand of
 * them after a deploy) is answered from memory instead of each reading the outbox.
 *
 * Complete above its low-water mark: the bus delivers committed events in sequence order
 * and sequences commit in order (the outbox lock), so every event with a sequence above the
 * mark and up to the last one recorded is here, unless its transaction never committed.
 * Below the mark (older than the ring, or from before this process started) it cannot say:
 * the outbox answers.
 */
export class ReplayRing {
  private readonly events: Array<StoredEvent | undefined>;
  private next = 0;
  private count = 0;
  private lowWater: number;

  /** `startSeq`: the sequence the bus starts after; nothing at or below it is held. */
  constructor(
    private readonly capacity: number,
    startSeq: number,
  ) {
    this.events = new Array(capacity);
    this.lowWater = startSeq;
  }

  /** Records the next delivered event (sequences strictly increasing). */
  push(e: StoredEvent): void {
    if (this.count === this.capacity) {
      // The oldest one leaves: events after it are still complete.
      this.lowWater = this.events[this.next]!.seq;
    } else this.count++;
    this.events[this.next] = e;
    this.next = (this.next + 1) % this.capacity;
  }

  /**
   * A tenant's events after `afterSeq`, oldest first, or null when the ring cannot vouch for
   * all of them (`afterSeq` below its low-water mark).
   */
  after(clientId: string, afterSeq: number): StoredEvent[] | null {
    if (afterSeq < this.lowWater) return null;
    const out: StoredEvent[] = [];
    // Newest first back to afterSeq, then reversed: a resume is usually a few events behind.
    for (let i = 1; i <= this.count; i++) {
      const e = this.events[(this.next - i + this.capacity) % this.capacity]!;
      if (e.seq <= afterSeq) break;
      if (e.client_id === clientId) out.push(e);
    }
    return out.reverse();
  }
}
