import { type Kysely, sql } from 'kysely';

/**
 * The pricing pipeline (issue 10): staging de-duplicated across agents (one row per pool and
 * time, a PRIMARY's report winning over a REPLICA's), the consolidated step-function tier with
 * a flag per point, the record of consolidation runs, and the origin of each on-demand price
 * (the shipped catalogue may refresh its own rows, never an operator's).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Keep one staging row per pool and time before the new key: PRIMARY first, then the earliest received.
    DELETE FROM price_snapshots s USING (
      SELECT id, row_number() OVER (
        PARTITION BY client_id, instance_type, availability_zone, product_description, observed_at
        ORDER BY (reporter_role = 'PRIMARY') DESC NULLS LAST, received_at, id
      ) AS n FROM price_snapshots
    ) ranked
    WHERE s.id = ranked.id AND ranked.n > 1;
    CREATE UNIQUE INDEX price_snapshots_pool_point
      ON price_snapshots (client_id, instance_type, availability_zone, product_description, observed_at);
    CREATE INDEX price_snapshots_observed ON price_snapshots (observed_at);

    CREATE TABLE price_consolidated (
      client_id uuid NOT NULL,
      instance_type text NOT NULL,
      availability_zone text NOT NULL,
      region text,
      at timestamptz NOT NULL,
      price double precision NOT NULL,
      flag text NOT NULL CHECK (flag IN ('reported', 'backfilled', 'interpolated')),
      run_id uuid NOT NULL,
      PRIMARY KEY (client_id, instance_type, availability_zone, at)
    );

    CREATE TABLE pricing_runs (
      id uuid PRIMARY KEY,
      -- Orders runs started at the same instant (an injected clock can stand still).
      seq bigserial NOT NULL,
      trigger text NOT NULL,
      started_at timestamptz NOT NULL,
      finished_at timestamptz,
      window_start timestamptz NOT NULL,
      pools integer NOT NULL DEFAULT 0,
      points_read integer NOT NULL DEFAULT 0,
      points_written integer NOT NULL DEFAULT 0,
      gaps_found integer NOT NULL DEFAULT 0,
      backfilled integer NOT NULL DEFAULT 0,
      interpolated integer NOT NULL DEFAULT 0,
      error text
    );
    CREATE INDEX pricing_runs_started ON pricing_runs (started_at DESC, seq DESC);

    ALTER TABLE ondemand_prices ADD COLUMN source text NOT NULL DEFAULT 'operator';
  `.execute(db);
  // The unique constraint's generated name is truncated by PostgreSQL; drop it whatever it is called.
  const old = await sql<{ conname: string }>`
    SELECT conname FROM pg_constraint
    WHERE conrelid = 'price_snapshots'::regclass AND contype = 'u'`.execute(db);
  for (const { conname } of old.rows) {
    await sql`ALTER TABLE price_snapshots DROP CONSTRAINT ${sql.id(conname)}`.execute(db);
  }
  // The ten rows migration 002 seeded are built-in defaults, not an operator's: the catalogue may refresh them.
  await sql`UPDATE ondemand_prices SET source = 'builtin'
    WHERE region = 'us-east-1' AND instance_type IN ('t3.micro', 't3.small', 't3.medium', 't3.large',
      'm5.large', 'm5.xlarge', 'c5.large', 'c5.xlarge', 'c5a.2xlarge', 'r5.large')`.execute(db);
}
