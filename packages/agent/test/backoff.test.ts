import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetry } from '../src/util/backoff.ts';

describe('backoffDelay (full jitter)', () => {
  const policy = { baseMs: 100, capMs: 5_000 };

  it('grows exponentially up to the cap at the top of the jitter range', () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, policy, top))).toEqual([
      99, 199, 399, 799, 1599, 3199, 4999, 4999,
    ]);
  });

  it('is uniform from zero: the bottom of the range is 0 whatever the attempt', () => {
    expect(backoffDelay(7, policy, () => 0)).toBe(0);
    expect(backoffDelay(7, policy, () => 0.5)).toBe(2500);
  });

  it('never exceeds the cap, even for absurd attempt numbers', () => {
    for (const n of [50, 1000, Number.MAX_SAFE_INTEGER])
      expect(backoffDelay(n, policy, () => 0.999)).toBeLessThan(5000);
  });
});

describe('withRetry', () => {
  const noSleep = async () => {};

  it('retries retryable errors and returns the first success', async () => {
    let calls = 0;
    const delays: number[] = [];
    const v = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Error('transient');
        return 'ok';
      },
      {
        retries: 5,
        baseMs: 10,
        capMs: 100,
        isRetryable: () => true,
        sleep: noSleep,
        random: () => 0.5,
        onRetry: (_e, _a, d) => delays.push(d),
      },
    );
    expect(v).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([5, 10]);
  });

  it('gives up at once on a permanent error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('bad request');
        },
        { retries: 5, baseMs: 1, capMs: 1, isRetryable: () => false, sleep: noSleep },
      ),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
  });

  it('throws the last error after the retries run out', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error(`fail ${calls}`);
        },
        { retries: 2, baseMs: 1, capMs: 1, isRetryable: () => true, sleep: noSleep },
      ),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
  });

  it('stops retrying once the signal aborts', async () => {
    const ac = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          if (calls === 2) ac.abort();
          throw new Error('down');
        },
        {
          retries: Number.POSITIVE_INFINITY,
          baseMs: 1,
          capMs: 1,
          isRetryable: () => true,
          signal: ac.signal,
        },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(2);
  });
});
