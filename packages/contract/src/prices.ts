import { z } from 'zod';
import { Timestamp } from './common.ts';

export const PriceQuery = z
  .object({
    hours: z.coerce
      .number()
      .min(1)
      .max(24 * 90)
      .default(24),
    instance_type: z.string().max(32).optional(),
    availability_zone: z.string().max(32).optional(),
    // Paging through many pools: the pools after this one (both or neither), as `next` gave it.
    after_instance_type: z.string().max(32).optional(),
    after_availability_zone: z.string().max(32).optional(),
  })
  .refine((q) => (q.after_instance_type === undefined) === (q.after_availability_zone === undefined), {
    message: 'after_instance_type and after_availability_zone go together',
    path: ['after_availability_zone'],
  });

export const PriceSeries = z.object({
  instance_type: z.string(),
  availability_zone: z.string(),
  region: z.string().nullable(),
  ondemand_price: z.number().nullable(),
  points: z.array(z.object({ t: Timestamp, price: z.number() })),
});
export type PriceSeries = z.infer<typeof PriceSeries>;

/** At most this many points per answer (the read stays bounded at millions of rows). */
export const PRICE_POINTS_CAP = 5_000;

export const PriceResponse = z.object({
  pools: z.array(PriceSeries),
  /**
   * True when the window held more points than PRICE_POINTS_CAP: the answer then holds the
   * first whole pools (in instance type, zone order) that fit, or the newest points of a
   * single pool larger than the cap, and `next` says where the following page starts.
   */
  truncated: z.boolean(),
  next: z.object({ instance_type: z.string(), availability_zone: z.string() }).nullable(),
});
export type PriceResponse = z.infer<typeof PriceResponse>;
