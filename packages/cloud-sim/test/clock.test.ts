// The simulated clock and its mapping to the wall clock (pure; the real clock is injected).

import { describe, expect, it } from 'vitest';
import {
  createSimClock,
  wallIsoExact,
  wallIsoMillis,
  wallIsoSeconds,
  wallReasonTime,
} from '../src/core/clock.ts';

const REAL0 = Date.parse('2025-06-01T12:00:00.000Z');
const SIM0 = Date.parse('2024-01-01T00:00:00.000Z');

function clockAt(speed: number, start?: number) {
  let real = REAL0;
  const clock = createSimClock({ speed, start, realNow: () => real });
  return { clock, advanceReal: (ms: number) => (real += ms) };
}

describe('createSimClock', () => {
  it('runs simulated time `speed` times faster than the real clock', () => {
    const { clock, advanceReal } = clockAt(60, SIM0);
    expect(clock.now()).toBe(SIM0);
    advanceReal(2_000);
    expect(clock.now()).toBe(SIM0 + 120_000);
    expect(clock.realDelayUntil(SIM0 + 180_000)).toBe(1_000);
    expect(clock.realDelayUntil(SIM0)).toBe(0);
  });

  it('maps simulated instants to wall-clock instants and back', () => {
    const { clock, advanceReal } = clockAt(60, SIM0);
    // the simulated start is the real start; 2 simulated hours are 2 real minutes
    expect(clock.toWall(SIM0)).toBe(REAL0);
    expect(clock.toWall(SIM0 + 2 * 3_600_000)).toBe(REAL0 + 120_000);
    expect(clock.toWall(SIM0 - 3_600_000)).toBe(REAL0 - 60_000);
    expect(clock.fromWall(REAL0 + 120_000)).toBe(SIM0 + 2 * 3_600_000);
    for (const sim of [SIM0 - 7e9, SIM0, SIM0 + 123_456, SIM0 + 9e8])
      expect(clock.fromWall(clock.toWall(sim))).toBeCloseTo(sim, 1);
    // the simulated now is always the wall-clock now
    advanceReal(5 * 60_000);
    expect(clock.toWall(clock.now())).toBe(REAL0 + 5 * 60_000);
    // a 120 s notice given now ends 2 real seconds from now
    expect(clock.toWall(clock.now() + 120_000)).toBe(REAL0 + 5 * 60_000 + 2_000);
  });

  it('defaults the simulated start to the real start (identity at speed 1)', () => {
    const { clock, advanceReal } = clockAt(1);
    advanceReal(42_000);
    expect(clock.now()).toBe(REAL0 + 42_000);
    expect(clock.toWall(REAL0 + 7_000)).toBe(REAL0 + 7_000);
  });

  it('refuses a speed that is not a positive number', () => {
    for (const speed of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => createSimClock({ speed })).toThrow(/speed must be a positive number/);
  });
});

describe('wall-clock formatting', () => {
  it('prints simulated instants as wall-clock times, dropping (never rounding up) the fraction', () => {
    const { clock } = clockAt(60, SIM0);
    // 119 simulated seconds = 1.983 real seconds: still second :01, not :02
    expect(wallIsoSeconds(clock, SIM0 + 119_000)).toBe('2025-06-01T12:00:01Z');
    expect(wallIsoSeconds(clock, SIM0 + 120_000)).toBe('2025-06-01T12:00:02Z');
    expect(wallIsoMillis(clock, SIM0 + 2 * 3_600_000)).toBe('2025-06-01T12:02:00.000Z');
    expect(wallReasonTime(clock, SIM0 + 3_600_000)).toBe('2025-06-01 12:01:00');
    expect(wallIsoExact(clock, SIM0 + 90)).toBe('2025-06-01T12:00:00.001Z');
  });
});
