import { type Kysely, sql } from 'kysely';

/**
 * On-demand Linux prices (USD/hour, us-east-1, public AWS price list) for the common types,
 * so savings can be computed out of the box. Operators can add rows for other pools.
 */
const PRICES: Array<[string, string, number]> = [
  ['us-east-1', 't3.micro', 0.0104],
  ['us-east-1', 't3.small', 0.0208],
  ['us-east-1', 't3.medium', 0.0416],
  ['us-east-1', 't3.large', 0.0832],
  ['us-east-1', 'm5.large', 0.096],
  ['us-east-1', 'm5.xlarge', 0.192],
  ['us-east-1', 'c5.large', 0.085],
  ['us-east-1', 'c5.xlarge', 0.17],
  ['us-east-1', 'c5a.2xlarge', 0.308],
  ['us-east-1', 'r5.large', 0.126],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [region, type, price] of PRICES) {
    await sql`INSERT INTO ondemand_prices (region, instance_type, price) VALUES (${region}, ${type}, ${price})
      ON CONFLICT DO NOTHING`.execute(db);
  }
}
