import { type Kysely, sql } from 'kysely';

/**
 * Moving workloads (issue 8): each agent's config, the one-time join tokens that let the
 * agent on a launched instance join its workload, agent tokens bound to the instance their
 * process runs on, commands aimed at one of those processes, and switches — the persisted
 * state of the switch process manager, so a restarted server resumes or fails each one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE agent_configs (
      agent_id uuid PRIMARY KEY REFERENCES agents(id),
      mode text NOT NULL DEFAULT 'observe' CHECK (mode IN ('observe', 'auto_switch', 'manual_replica')),
      candidate_pools jsonb NOT NULL DEFAULT '[]',
      min_savings_percent double precision NOT NULL DEFAULT 10
        CHECK (min_savings_percent >= 0 AND min_savings_percent <= 100),
      on_rebalance text NOT NULL DEFAULT 'mark' CHECK (on_rebalance IN ('replica', 'mark', 'ignore')),
      on_demand_fallback boolean NOT NULL DEFAULT false,
      elastic_ip_allocation_id text,
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO agent_configs (agent_id) SELECT id FROM agents;

    -- Only the hash is kept; the token itself travels once, in the launch command.
    CREATE TABLE join_tokens (
      token_hash text PRIMARY KEY,
      client_id uuid NOT NULL REFERENCES clients(id),
      agent_id uuid NOT NULL REFERENCES agents(id),
      instance_id uuid NOT NULL UNIQUE REFERENCES instances(id),
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );

    ALTER TABLE agent_tokens ADD COLUMN instance_id uuid REFERENCES instances(id);
    CREATE INDEX agent_tokens_instance ON agent_tokens (instance_id) WHERE instance_id IS NOT NULL;

    -- NULL: any process of the agent may run it; else the process on that instance (while
    -- it lives), e.g. the replica that moves the Elastic IP to itself when promoted.
    ALTER TABLE commands ADD COLUMN executor_instance_id uuid REFERENCES instances(id);

    CREATE TABLE switches (
      id uuid PRIMARY KEY,
      client_id uuid NOT NULL REFERENCES clients(id),
      agent_id uuid NOT NULL REFERENCES agents(id),
      trigger text NOT NULL CHECK (trigger IN
        ('manual', 'decision', 'rebalance', 'termination_notice', 'fallback', 'return_to_spot')),
      status text NOT NULL CHECK (status IN ('IN_PROGRESS', 'COMPLETED', 'FAILED')),
      phase text NOT NULL CHECK (phase IN ('launching', 'promoting', 'completed', 'failed')),
      reason text,
      from_instance_id uuid REFERENCES instances(id),
      to_instance_id uuid REFERENCES instances(id),
      target_launched_by_switch boolean NOT NULL,
      from_instance_type text,
      from_availability_zone text,
      from_market text,
      to_instance_type text NOT NULL,
      to_availability_zone text,
      to_market text NOT NULL CHECK (to_market IN ('spot', 'on-demand')),
      from_price double precision,
      to_price double precision,
      launch_command_id uuid,
      promote_command_id uuid,
      requested_at timestamptz NOT NULL,
      promoting_at timestamptz,
      completed_at timestamptz,
      cutover_started_at timestamptz,
      cutover_completed_at timestamptz,
      downtime_seconds double precision,
      error_code text,
      error_message text,
      version integer NOT NULL DEFAULT 1,
      CHECK ((status = 'IN_PROGRESS') = (phase IN ('launching', 'promoting')))
    );
    -- One switch at a time per workload, enforced by the database.
    CREATE UNIQUE INDEX switches_one_in_progress ON switches (agent_id) WHERE status = 'IN_PROGRESS';
    CREATE INDEX switches_client_requested ON switches (client_id, requested_at DESC);
    CREATE INDEX switches_in_progress ON switches (requested_at) WHERE status = 'IN_PROGRESS';
    CREATE INDEX switches_to_instance ON switches (to_instance_id) WHERE status = 'IN_PROGRESS';
  `.execute(db);
}
