import { z } from 'zod';
import { Timestamp } from './common.ts';

export const PriceQuery = z.object({
  hours: z.coerce
    .number()
    .min(1)
    .max(24 * 90)
    .default(24),
  instance_type: z.string().max(32).optional(),
  availability_zone: z.string().max(32).optional(),
});

export const PriceSeries = z.object({
  instance_type: z.string(),
  availability_zone: z.string(),
  region: z.string().nullable(),
  ondemand_price: z.number().nullable(),
  points: z.array(z.object({ t: Timestamp, price: z.number() })),
});
export type PriceSeries = z.infer<typeof PriceSeries>;

export const PriceResponse = z.object({ pools: z.array(PriceSeries) });
export type PriceResponse = z.infer<typeof PriceResponse>;
