import { type Kysely, sql } from 'kysely';

/** Advisory lock between invalidating writers (shared) and the rollup job's insert (exclusive). */
export const SAVINGS_ROLLUP_LOCK_KEY = 7_311_120;
/** Raw price snapshots are kept 7 days (STAGING_RETENTION_MS); hours older than that are final. */
const RAW_RETENTION_HOURS = 7 * 24;

/**
 * The savings rollup (issue 11): one row per client and finished clock hour with what the
 * hour cost and its on-demand equivalent, so a 30-day savings window reads 720 rows instead
 * of every price point of the month (and keeps its money after raw prices expire after 7 days).
 *
 * A stored hour is only right while its inputs stand: the instances that ran in it, the spot
 * prices up to its end and the on-demand list. Triggers remove the hours a change can affect,
 * whatever code path makes the change, so no writer can forget to:
 * - a price point at t: every hour from t's on (it sets the price until the next point);
 * - an instance's launch, pool or market: every hour from its launch; its termination: from
 *   the termination (the run counted as still going until then);
 * - an on-demand price: every hour of every client (rare; the catalogue's refresh at start
 *   writes a row only when its price changed).
 * Only hours within the raw prices' 7-day retention are removed: an older hour could not be
 * computed again (its prices are gone), so what was stored then stands — savings history at the
 * prices of its time, as a bill is.
 * Each removal is also recorded with its transaction id, under a shared advisory lock, so the
 * job, which computes hours outside any lock, can tell a change it did not see from one it did
 * (repositories/savings-rollup.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE savings_hours (
      client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
      hour timestamptz NOT NULL,
      spot_cost double precision NOT NULL,
      ondemand_cost double precision NOT NULL,
      unknown_ondemand_spend double precision NOT NULL,
      -- Some run's spend in the hour is known (hours of only unknowns are not charted).
      costed boolean NOT NULL,
      computed_at timestamptz NOT NULL,
      PRIMARY KEY (client_id, hour)
    );

    -- What an hour could not compare or cost, one row per type or pool, with running totals
    -- per type or pool over the client's stored hours: a window's sum is the total at its end
    -- less the total before it, two index probes per type or pool however long the window.
    -- (Stored hours only ever grow at their end or lose a suffix, so a running total stays true.)
    CREATE TABLE savings_hour_unknown_ondemand (
      client_id uuid NOT NULL,
      region text NOT NULL,
      instance_type text NOT NULL,
      market text NOT NULL,
      hour timestamptz NOT NULL,
      hours double precision NOT NULL,
      -- null: an on-demand run, whose own price is the unknown one
      spend double precision,
      cum_hours double precision NOT NULL,
      cum_spend double precision NOT NULL,
      cum_null_spend integer NOT NULL,
      PRIMARY KEY (client_id, region, instance_type, market, hour),
      FOREIGN KEY (client_id, hour) REFERENCES savings_hours ON DELETE CASCADE
    );
    CREATE INDEX savings_hour_unknown_ondemand_hour ON savings_hour_unknown_ondemand (client_id, hour);
    CREATE TABLE savings_hour_unknown_spot (
      client_id uuid NOT NULL,
      instance_type text NOT NULL,
      availability_zone text NOT NULL,
      hour timestamptz NOT NULL,
      hours double precision NOT NULL,
      cum_hours double precision NOT NULL,
      PRIMARY KEY (client_id, instance_type, availability_zone, hour),
      FOREIGN KEY (client_id, hour) REFERENCES savings_hours ON DELETE CASCADE
    );
    CREATE INDEX savings_hour_unknown_spot_hour ON savings_hour_unknown_spot (client_id, hour);

    -- The runs that overlap a span (repositories/savings.ts listRunsInWindow): still running or
    -- ended after its start, one index-only range.
    CREATE INDEX instances_client_runs ON instances
      (client_id, (coalesce(termination_confirmed_at, 'infinity'::timestamptz)))
      INCLUDE (id, agent_id, role, instance_type, availability_zone, region, market,
               launch_confirmed_at, termination_confirmed_at);

    CREATE TABLE savings_invalidations (
      id bigserial PRIMARY KEY,
      -- null: every client
      client_id uuid,
      from_hour timestamptz NOT NULL,
      xid xid8 NOT NULL DEFAULT pg_current_xact_id()
    );

    CREATE FUNCTION savings_invalidate(p_client uuid, p_from timestamptz) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
      -- Hours older than the raw prices' retention are final: they could not be computed again.
      h timestamptz := date_bin('1 hour', greatest(p_from, now() - ${sql.lit(`${RAW_RETENTION_HOURS} hours`)}::interval),
        timestamptz '1970-01-01 00:00:00+00');
    BEGIN
      IF p_from IS NULL THEN RETURN; END IF;
      PERFORM pg_advisory_xact_lock_shared(${sql.lit(SAVINGS_ROLLUP_LOCK_KEY)});
      DELETE FROM savings_hours WHERE (p_client IS NULL OR client_id = p_client) AND hour >= h;
      INSERT INTO savings_invalidations (client_id, from_hour) VALUES (p_client, h);
    END $$;

    CREATE FUNCTION savings_prices_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM savings_invalidate(c.client_id, c.t)
        FROM (SELECT client_id, min(observed_at) AS t FROM changed GROUP BY client_id) c;
      RETURN NULL;
    END $$;
    CREATE TRIGGER savings_prices_inserted AFTER INSERT ON price_snapshots
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION savings_prices_changed();
    CREATE TRIGGER savings_prices_updated AFTER UPDATE ON price_snapshots
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION savings_prices_changed();

    CREATE FUNCTION savings_instance_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM savings_invalidate(NEW.client_id, NEW.launch_confirmed_at);
      ELSIF (OLD.launch_confirmed_at, OLD.instance_type, OLD.availability_zone, OLD.region, OLD.market)
          IS DISTINCT FROM (NEW.launch_confirmed_at, NEW.instance_type, NEW.availability_zone, NEW.region, NEW.market) THEN
        PERFORM savings_invalidate(NEW.client_id, least(OLD.launch_confirmed_at, NEW.launch_confirmed_at));
      ELSIF OLD.termination_confirmed_at IS DISTINCT FROM NEW.termination_confirmed_at THEN
        PERFORM savings_invalidate(NEW.client_id, least(OLD.termination_confirmed_at, NEW.termination_confirmed_at));
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER savings_instances_changed
      AFTER INSERT OR UPDATE OF launch_confirmed_at, termination_confirmed_at, instance_type, availability_zone, region, market
      ON instances FOR EACH ROW EXECUTE FUNCTION savings_instance_changed();

    -- Statement triggers see only the rows really inserted or deleted (an upsert that updates
    -- is an UPDATE, handled per row and only when the price moved).
    CREATE FUNCTION savings_ondemand_rows_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM changed) THEN PERFORM savings_invalidate(NULL, '-infinity'); END IF;
      RETURN NULL;
    END $$;
    CREATE FUNCTION savings_ondemand_repriced() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM savings_invalidate(NULL, '-infinity');
      RETURN NULL;
    END $$;
    CREATE TRIGGER savings_ondemand_inserted AFTER INSERT ON ondemand_prices
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION savings_ondemand_rows_changed();
    CREATE TRIGGER savings_ondemand_deleted AFTER DELETE ON ondemand_prices
      REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION savings_ondemand_rows_changed();
    CREATE TRIGGER savings_ondemand_repriced AFTER UPDATE ON ondemand_prices
      FOR EACH ROW WHEN (OLD.price IS DISTINCT FROM NEW.price) EXECUTE FUNCTION savings_ondemand_repriced();
  `.execute(db);
}
