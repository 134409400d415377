import { type Kysely, sql } from 'kysely';

/**
 * Running totals of the rollup's unknowns as one row per stored hour (issue 11). Migration
 * 010 kept a running total on every per-type and per-pool row; a 30-day window then had to walk
 * the distinct types and pools and probe twice for each, hundreds of index probes when a fleet
 * ran many pools without prices. Here the totals at an hour are one row holding every type's
 * and pool's total (domain/unknown-totals.ts), so a window reads two rows.
 *
 * The rows are written by the rollup job in the transaction that stores the hours; hours
 * stored before this migration get theirs on the job's next pass (until then a window sums
 * their per-hour rows, as short windows did).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE savings_unknown_totals (
      client_id uuid NOT NULL,
      hour timestamptz NOT NULL,
      ondemand jsonb NOT NULL,
      spot jsonb NOT NULL,
      PRIMARY KEY (client_id, hour),
      FOREIGN KEY (client_id, hour) REFERENCES savings_hours ON DELETE CASCADE
    );
    ALTER TABLE savings_hour_unknown_ondemand DROP COLUMN cum_hours, DROP COLUMN cum_spend, DROP COLUMN cum_null_spend;
    ALTER TABLE savings_hour_unknown_spot DROP COLUMN cum_hours;
  `.execute(db);
}
