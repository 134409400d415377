// The simulated clock, and the one place where simulated time meets the wall clock.
//
// Simulated time runs `speed` times faster than the real clock, starting at `start`. Every delay in
// the simulator (boot, shutdown, notice deadlines, hazard per hour, price-trace replay) is measured on
// it, so a test at speed 60 sees a 120 s notice pass in 2 real seconds.
//
// The rest of the product (server, agent, dashboard) runs on the wall clock with its own intervals
// divided by the same factor. So every time that leaves the simulator over HTTP is WALL-CLOCK time
// (`toWall`), and every time that comes in is read back into simulated time (`fromWall`):
//   wall = realStart + (sim − simStart) / speed
// At speed 60 a 120 s notice announces a deadline 2 real seconds ahead, and a price step every
// 2 simulated hours shows up as one every 2 real minutes. Timestamps are only printed through
// `wallIsoSeconds` / `wallIsoMillis` below, which take the clock, so none can skip the conversion.

export interface SimClock {
  /** Simulated now, epoch milliseconds. */
  now(): number;
  readonly speed: number;
  /** Real milliseconds until simulated time reaches `simMs` (0 if already past). */
  realDelayUntil(simMs: number): number;
  /** The wall-clock instant (epoch ms) at which simulated time is (or was, or will be) `simMs`. */
  toWall(simMs: number): number;
  /** The simulated instant (epoch ms) that corresponds to the wall-clock instant `wallMs`. */
  fromWall(wallMs: number): number;
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
  const fromWall = (wallMs: number) => simStart + (wallMs - realStart) * speed;
  return {
    speed,
    now: () => fromWall(realNow()),
    realDelayUntil: (simMs) => Math.max(0, (simMs - fromWall(realNow())) / speed),
    toWall: (simMs) => realStart + (simMs - simStart) / speed,
    fromWall,
  };
}

/** Whole seconds, as EC2 and IMDS print times (the fraction is dropped, never rounded up into the future). */
function wholeSecond(wallMs: number): Date {
  return new Date(Math.floor(wallMs / 1000) * 1000);
}

/** A simulated instant as wall-clock ISO-8601 without milliseconds ("2017-09-18T08:22:00Z"), as IMDS prints. */
export function wallIsoSeconds(clock: SimClock, simMs: number): string {
  return `${wholeSecond(clock.toWall(simMs)).toISOString().slice(0, 19)}Z`;
}

/** A simulated instant as wall-clock ISO-8601 with ".000Z", as EC2 XML prints launchTime and price timestamps. */
export function wallIsoMillis(clock: SimClock, simMs: number): string {
  return wholeSecond(clock.toWall(simMs)).toISOString();
}

/** A simulated instant as wall-clock "YYYY-MM-DD hh:mm:ss", as EC2's StateTransitionReason prints it. */
export function wallReasonTime(clock: SimClock, simMs: number): string {
  return wholeSecond(clock.toWall(simMs)).toISOString().slice(0, 19).replace('T', ' ');
}

/** A simulated instant as wall-clock ISO-8601 to the millisecond (the control API's clock). */
export function wallIsoExact(clock: SimClock, simMs: number): string {
  return new Date(clock.toWall(simMs)).toISOString();
}
