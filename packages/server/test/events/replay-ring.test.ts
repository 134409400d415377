import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/repositories/events-outbox.ts';
import { ReplayRing } from '../../src/services/replay-ring.ts';

const event = (seq: number, client_id: string): StoredEvent => ({
  seq,
  client_id,
  type: 'INSTANCE_RUNNING',
  data: {},
  created_at: new Date(0),
});

describe('the replay ring', () => {
  it('answers a resume exactly as the outbox would, or says it cannot', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 50 }),
        // Gaps: a sequence value whose transaction rolled back is never delivered.
        fc.array(fc.record({ gap: fc.integer({ min: 1, max: 3 }), client: fc.constantFrom('a', 'b', 'c') }), {
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom('a', 'b', 'c'),
        (capacity, startSeq, specs, afterSeq, client) => {
          const ring = new ReplayRing(capacity, startSeq);
          const delivered: StoredEvent[] = [];
          let seq = startSeq;
          for (const s of specs) {
            seq += s.gap;
            const e = event(seq, s.client);
            delivered.push(e);
            ring.push(e);
          }
          // What the ring can vouch for: everything after the newest event it dropped, or
          // after where it started.
          const dropped = delivered.length - capacity;
          const lowWater = dropped > 0 ? delivered[dropped - 1]!.seq : startSeq;
          const got = ring.after(client, afterSeq);
          if (afterSeq < lowWater) expect(got).toBeNull();
          else expect(got).toEqual(delivered.filter((e) => e.client_id === client && e.seq > afterSeq));
        },
      ),
      { numRuns: 500 },
    );
  });
});
