// The simulated clock. Simulated time runs `speed` times faster than the real clock it is built on,
// starting at `start`. Every delay in the simulator (boot, shutdown, notice deadlines) is measured on
// it, so a test at speed 60 sees a 120 s notice pass in 2 real seconds.

export interface SimClock {
  /** Simulated now, epoch milliseconds. */
  now(): number;
  readonly speed: number;
  /** Real milliseconds until simulated time reaches `simMs` (0 if already past). */
  realDelayUntil(simMs: number): number;
}

export interface SimClockOptions {
  speed: number;
  /** Simulated time at creation, epoch ms (default: the real now). */
  start?: number;
  /** Real time source, epoch ms (injectable for tests). */
  realNow?: () => number;
}

export function createSimClock(options: SimClockOptions): SimClock {
  const { speed } = options;
  if (!(Number.isFinite(speed) && speed > 0))
    throw new Error(`speed must be a positive number, got ${speed}`);
  const realNow = options.realNow ?? Date.now;
  const realStart = realNow();
  const simStart = options.start ?? realStart;
  return {
    speed,
    now: () => simStart + (realNow() - realStart) * speed,
    realDelayUntil(simMs) {
      return Math.max(0, (simMs - (simStart + (realNow() - realStart) * speed)) / speed);
    },
  };
}

/** ISO-8601 without milliseconds, the way EC2 and IMDS print most times ("2017-09-18T08:22:00Z"). */
export function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** ISO-8601 with ".000Z", the way EC2 XML prints launchTime and spot price timestamps. */
export function isoMillisZero(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}
