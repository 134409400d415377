// SYNTHETIC spot prices — NOT AWS data. A pool without a real trace gets a price derived from its
// on-demand price: a discount drawn per pool between 55 % and 80 % (seeded), then slow small steps
// (every 2–8 simulated hours the discount moves by at most ±1 point, staying within 55–80 %). So the
// price never reaches on-demand by itself; interruptions there come from the hazard or the control API.
//
// The trace is unbounded, so it is generated lazily: `extendTo(t)` appends steps up to `t`. Steps only
// depend on the seed and the pool, never on when they are asked for, so every run with the same seed
// sees the same prices.

import type { PriceStep } from './prices.ts';
import { createRng, hashString, type Rng } from './rng.ts';

export const SYNTHETIC_MIN_DISCOUNT = 0.55;
export const SYNTHETIC_MAX_DISCOUNT = 0.8;
const HOUR_MS = 3_600_000;

export interface SyntheticPoolSpec {
  seed: number;
  instanceType: string;
  az: string;
  onDemand: number;
  /** Simulated epoch ms of the first step (the simulator's start). */
  start: number;
}

/** Spot prices are quoted to 6 decimals; keep 4 significant places and never reach zero. */
function quote(usd: number): number {
  return Math.max(0.0001, Number(usd.toPrecision(4)));
}

export class SyntheticTrace {
  readonly steps: PriceStep[];
  /** The highest price the trace can ever show (at the smallest discount). */
  readonly ceiling: number;
  private readonly rng: Rng;
  private discount: number;

  constructor(private readonly spec: SyntheticPoolSpec) {
    this.rng = createRng(spec.seed ^ hashString(`synthetic|${spec.instanceType}|${spec.az}`));
    const span = SYNTHETIC_MAX_DISCOUNT - SYNTHETIC_MIN_DISCOUNT;
    this.discount = SYNTHETIC_MIN_DISCOUNT + this.rng() * span;
    this.ceiling = quote(spec.onDemand * (1 - SYNTHETIC_MIN_DISCOUNT));
    this.steps = [{ at: spec.start, price: this.price() }];
  }

  private price(): number {
    return quote(this.spec.onDemand * (1 - this.discount));
  }

  /** Appends steps until the last one is at or after `t`. */
  extendTo(t: number): void {
    let last = this.steps[this.steps.length - 1]!;
    while (last.at < t) {
      const gap = (2 + this.rng() * 6) * HOUR_MS;
      const moved = this.discount + (this.rng() - 0.5) * 0.02;
      this.discount = Math.min(SYNTHETIC_MAX_DISCOUNT, Math.max(SYNTHETIC_MIN_DISCOUNT, moved));
      last = { at: Math.round(last.at + gap), price: this.price() };
      this.steps.push(last);
    }
  }
}
