import { describe, expect, it } from 'vitest';
import { newPoints } from '../src/loops/pricing-reporter.ts';

const p = (type: string, az: string, iso: string, price = 0.03) => ({
  instanceType: type,
  availabilityZone: az,
  productDescription: 'Linux/UNIX',
  spotPrice: price,
  timestamp: new Date(iso),
});

describe('pricing reporter: new points only', () => {
  it('keeps points newer than the last one reported per pool, oldest first, without duplicates', () => {
    const last = new Map([['c5.large:us-east-1a', new Date('2026-01-01T00:10:00Z').getTime()]]);
    const out = newPoints(
      [
        p('c5.large', 'us-east-1a', '2026-01-01T00:20:00Z'),
        p('c5.large', 'us-east-1a', '2026-01-01T00:05:00Z'),
        p('c5.large', 'us-east-1a', '2026-01-01T00:10:00Z'),
        p('m5.large', 'us-east-1b', '2026-01-01T00:01:00Z'),
        p('m5.large', 'us-east-1b', '2026-01-01T00:01:00Z'),
      ],
      last,
    );
    expect(out.map((x) => `${x.instanceType}@${x.timestamp.toISOString().slice(11, 16)}`)).toEqual([
      'm5.large@00:01',
      'c5.large@00:20',
    ]);
  });
});
