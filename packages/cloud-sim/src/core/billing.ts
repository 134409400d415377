// The simulated bill. EC2 bills by the second from the moment an instance is running until it starts
// shutting down (pending, shutting-down and terminated are free). Spot is billed at the spot price in
// force each second, on-demand at the on-demand price.

import type { Catalog } from './catalog.ts';
import type { SimInstance } from './instance.ts';

export interface BillLine {
  instance_id: string;
  market: 'spot' | 'on-demand';
  instance_type: string;
  availability_zone: string;
  seconds: number;
  cost: number;
}

export interface Bill {
  currency: 'USD';
  total: number;
  instances: BillLine[];
}

/** Rounded to 1e-6 USD: keeps the JSON readable while sums stay exact enough. */
const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

export function billLine(inst: SimInstance, catalog: Catalog, now: number): BillLine {
  const from = inst.runningAt;
  const to = Math.min(now, inst.shutdownAt ?? Number.POSITIVE_INFINITY);
  let cost = 0;
  if (to > from) {
    if (inst.market === 'spot') {
      for (const seg of catalog.priceBook.segments(inst.instanceType, inst.az, from, to)) {
        cost += (seg.price * (seg.to - seg.from)) / 3_600_000;
      }
    } else {
      cost = ((catalog.onDemandPrice(inst.instanceType) ?? 0) * (to - from)) / 3_600_000;
    }
  }
  return {
    instance_id: inst.id,
    market: inst.market,
    instance_type: inst.instanceType,
    availability_zone: inst.az,
    seconds: Math.max(0, Math.floor((to - from) / 1000)),
    cost: round(cost),
  };
}

export function computeBill(instances: SimInstance[], catalog: Catalog, now: number): Bill {
  const lines = instances.map((i) => billLine(i, catalog, now));
  return { currency: 'USD', total: round(lines.reduce((s, l) => s + l.cost, 0)), instances: lines };
}
