import { describe, expect, it } from 'vitest';
import { savingsInputsChangedBy } from '../../src/domain/savings-inputs.ts';

const price = (instance_type: string, availability_zone: string) => ({
  type: 'PRICE_UPDATED' as const,
  data: {
    instance_type,
    availability_zone,
    region: availability_zone.slice(0, -1),
    spot_price: 0.02,
    timestamp: '2026-12-03T10:00:00.000Z',
  },
});

describe('what events change of a savings span', () => {
  it('names each priced pool once, flags any instance change, and ignores the rest', () => {
    expect(
      savingsInputsChangedBy([
        price('t3.medium', 'us-east-1a'),
        { type: 'AGENT_STATUS_CHANGED', data: {} },
        price('t3.medium', 'us-east-1a'),
        price('m5.large', 'us-east-1b'),
      ]),
    ).toEqual({
      pools: [
        { instance_type: 't3.medium', availability_zone: 'us-east-1a' },
        { instance_type: 'm5.large', availability_zone: 'us-east-1b' },
      ],
      runs: false,
    });
    for (const type of ['INSTANCE_TERMINATED', 'INSTANCE_UPDATED', 'INSTANCE_PROMOTING'] as const)
      expect(savingsInputsChangedBy([{ type, data: {} }])).toEqual({ pools: [], runs: true });
    expect(savingsInputsChangedBy([{ type: 'SWITCH_COMPLETED', data: {} }])).toEqual({
      pools: [],
      runs: false,
    });
  });

  it('refuses a price event it cannot read (the span is then read whole)', () => {
    expect(
      savingsInputsChangedBy([{ type: 'PRICE_UPDATED', data: { instance_type: 't3.medium' } }]),
    ).toBeUndefined();
  });
});
