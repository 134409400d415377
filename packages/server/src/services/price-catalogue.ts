import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Executor } from '../db/executor.ts';
import { upsertCatalogueOndemand } from '../repositories/ondemand-prices.ts';

/**
 * The shipped price catalogue (catalogue/price-catalogue.json, built by
 * scripts/build-price-catalogue.ts from Apache-2.0 upstreams named in the file): on-demand list
 * prices for the common current types in the main regions, and the Spot Advisor interruption
 * bucket of each type (0 = <5 % … 4 = >20 % of instances interrupted a month) as a prior.
 */
const Source = z.object({ repo: z.string(), path: z.string(), commit: z.string(), as_of: z.string() });
const PriceTable = z.record(z.string(), z.record(z.string(), z.number().positive()));
export const PriceCatalogueFile = z.object({
  licence: z.string(),
  ondemand_source: Source,
  advisor_source: Source,
  regions: z.array(z.string()),
  advisor_ranges: z.array(z.object({ bucket: z.number().int(), label: z.string() })),
  ondemand: PriceTable,
  advisor: z.record(z.string(), z.record(z.string(), z.number().int().min(0).max(4))),
});
export type PriceCatalogueFile = z.infer<typeof PriceCatalogueFile>;

export const DEFAULT_CATALOGUE_PATH = new URL('../../catalogue/price-catalogue.json', import.meta.url);

export class PriceCatalogue {
  constructor(readonly file: PriceCatalogueFile) {}

  static load(path: URL | string = DEFAULT_CATALOGUE_PATH): PriceCatalogue {
    return new PriceCatalogue(PriceCatalogueFile.parse(JSON.parse(readFileSync(path, 'utf8'))));
  }

  /** The Spot Advisor interruption bucket (0–4) of a type in a region; null when the Advisor has none. */
  advisorBucket(region: string | null, instanceType: string): number | null {
    if (!region) return null;
    return this.file.advisor[region]?.[instanceType] ?? null;
  }

  ondemandRows(): Array<{ region: string; instance_type: string; price: number }> {
    return Object.entries(this.file.ondemand).flatMap(([region, prices]) =>
      Object.entries(prices).map(([instance_type, price]) => ({ region, instance_type, price })),
    );
  }

  /** Loads the on-demand prices into ondemand_prices (operator rows kept); returns rows written. */
  async apply(db: Executor): Promise<number> {
    return upsertCatalogueOndemand(db, this.ondemandRows());
  }
}
