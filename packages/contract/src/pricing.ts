import { z } from 'zod';
import { Timestamp } from './common.ts';

/** POST /api/admin/pricing/consolidate: how far back staging is consolidated (default its 7-day window). */
export const ConsolidateQuery = z.object({
  window_hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24)
    .default(7 * 24),
});
export type ConsolidateQuery = z.infer<typeof ConsolidateQuery>;

/** One run of the price consolidation (scheduled or asked for by an admin), with its counts. */
export const PricingRunView = z.object({
  run_id: z.string(),
  trigger: z.enum(['schedule', 'admin']),
  started_at: Timestamp,
  finished_at: Timestamp.nullable(),
  window_start: Timestamp,
  pools: z.number().int(),
  points_read: z.number().int(),
  points_written: z.number().int(),
  gaps_found: z.number().int(),
  /** Points fetched for gaps through an agent (DescribeSpotPriceHistory); not built yet, always 0. */
  backfilled: z.number().int(),
  interpolated: z.number().int(),
  /** Why the run failed (nothing it wrote was kept); null when it succeeded. */
  error: z.string().nullable(),
});
export type PricingRunView = z.infer<typeof PricingRunView>;

export const PricingRunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
export const PricingRunList = z.object({ runs: z.array(PricingRunView) });
export type PricingRunList = z.infer<typeof PricingRunList>;
