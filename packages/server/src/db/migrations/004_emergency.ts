import { type Kysely, sql } from 'kysely';

/**
 * Interruptions handled before the deadline (issue 9): what was done about each signal and
 * how it ended, which sources reported it, the pools recently interrupted or out of
 * capacity (kept out of every choice for a TTL, as Karpenter's unavailable offerings), and
 * the per-client secret EventBridge deliveries authenticate with (only its hash).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE interruptions
      ADD COLUMN sources jsonb NOT NULL DEFAULT '["agent"]',
      ADD COLUMN switch_id uuid REFERENCES switches(id),
      ADD COLUMN replica_instance_id uuid REFERENCES instances(id),
      ADD COLUMN response_detail text,
      ADD COLUMN responded_at timestamptz,
      ADD COLUMN resolved_at timestamptz,
      ADD COLUMN serving_after_seconds double precision;
    CREATE INDEX interruptions_switch ON interruptions (switch_id) WHERE switch_id IS NOT NULL;
    CREATE INDEX interruptions_rebalance_replica ON interruptions (received_at)
      WHERE replica_instance_id IS NOT NULL;

    ALTER TABLE switches ADD COLUMN interruption_id uuid REFERENCES interruptions(id);

    CREATE TABLE unavailable_pools (
      client_id uuid NOT NULL REFERENCES clients(id),
      instance_type text NOT NULL,
      availability_zone text NOT NULL,
      until timestamptz NOT NULL,
      reason text NOT NULL,
      PRIMARY KEY (client_id, instance_type, availability_zone)
    );

    ALTER TABLE clients ADD COLUMN eventbridge_secret_hash text UNIQUE;
  `.execute(db);
}
