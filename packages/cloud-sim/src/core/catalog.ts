// What exists in the simulated region: its availability zones, the instance types that can be
// launched, their on-demand prices and per-pool settings (boot delay, interruption hazard).

import { type PriceBook, poolKey } from './prices.ts';
import { hashString } from './rng.ts';
import { SyntheticTrace } from './synthetic-prices.ts';

/** The zones a region has in the simulation: us-east-1a…f (as in AWS), a…c elsewhere. */
export function defaultZones(region: string): string[] {
  const letters = region === 'us-east-1' ? 'abcdef' : 'abc';
  return [...letters].map((l) => `${region}${l}`);
}

/**
 * Gives every (type with an on-demand price) × zone that has no trace a SYNTHETIC spot price pool
 * (see synthetic-prices.ts), so every common type launches as spot in every zone.
 */
export function addSyntheticPools(
  book: PriceBook,
  o: { seed: number; azs: string[]; onDemand: Map<string, number>; start: number },
): void {
  for (const [instanceType, onDemand] of o.onDemand) {
    for (const az of o.azs) {
      if (book.has(instanceType, az)) continue;
      book.addSynthetic(
        new SyntheticTrace({ seed: o.seed, instanceType, az, onDemand, start: o.start }),
        instanceType,
        az,
      );
    }
  }
}

export interface PoolSettings {
  bootDelaySeconds: number;
  hazardPerHour: number;
}

export interface CatalogOptions {
  region: string;
  priceBook: PriceBook;
  /** instance type → on-demand USD/hour in this region. */
  onDemand: Map<string, number>;
  /** The region's zones (default: only the zones the price book has pools in). */
  azs?: string[];
  /** Overrides the per-pool default boot delay for every pool. */
  bootDelaySeconds?: number;
  hazardPerHour: number;
}

export class Catalog {
  readonly region: string;
  readonly azs: string[];
  readonly instanceTypes: string[];
  private readonly settings = new Map<string, PoolSettings>();

  constructor(private readonly options: CatalogOptions) {
    this.region = options.region;
    const pools = options.priceBook.list();
    this.azs = [...new Set([...(options.azs ?? []), ...pools.map((p) => p.az)])].sort();
    if (this.azs.length === 0) throw new Error(`no spot price data for region ${options.region}`);
    this.instanceTypes = [
      ...new Set([...pools.map((p) => p.instanceType), ...options.onDemand.keys()]),
    ].sort();
  }

  get priceBook(): PriceBook {
    return this.options.priceBook;
  }

  hasAz(az: string): boolean {
    return this.azs.includes(az);
  }

  hasType(instanceType: string): boolean {
    return this.instanceTypes.includes(instanceType);
  }

  onDemandPrice(instanceType: string): number | undefined {
    return this.options.onDemand.get(instanceType);
  }

  /** Settings of a pool; the default boot delay is 20–45 s, stable per pool (hash of its name). */
  pool(instanceType: string, az: string): PoolSettings {
    const key = poolKey(instanceType, az);
    let s = this.settings.get(key);
    if (!s) {
      s = {
        bootDelaySeconds: this.options.bootDelaySeconds ?? 20 + (hashString(key) % 26),
        hazardPerHour: this.options.hazardPerHour,
      };
      this.settings.set(key, s);
    }
    return s;
  }

  updatePool(instanceType: string, az: string, patch: Partial<PoolSettings>): PoolSettings {
    const s = this.pool(instanceType, az);
    if (patch.bootDelaySeconds !== undefined) s.bootDelaySeconds = patch.bootDelaySeconds;
    if (patch.hazardPerHour !== undefined) s.hazardPerHour = patch.hazardPerHour;
    return s;
  }
}
