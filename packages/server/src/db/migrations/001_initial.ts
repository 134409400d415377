import { type Kysely, sql } from 'kysely';

/**
 * The lifecycle core: tenants, agents, instances and their append-only event log, the
 * command queue, the event outbox that feeds SSE/WebSocket, idempotency keys and the audit
 * log. Lists of allowed values are CHECK constraints so the database refuses a state the
 * domain does not know, and "one PRIMARY per agent" is a partial unique index (invariant 4).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE server_settings (
      key text PRIMARY KEY,
      value text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE clients (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE agents (
      id uuid PRIMARY KEY,
      client_id uuid NOT NULL REFERENCES clients(id),
      logical_id text NOT NULL,
      status text NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'offline')),
      last_heartbeat_at timestamptz,
      instance_type text,
      availability_zone text,
      region text,
      cloud_instance_id text,
      agent_version text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, logical_id)
    );
    CREATE INDEX agents_online_heartbeat ON agents (last_heartbeat_at) WHERE status = 'online';

    CREATE TABLE agent_tokens (
      token_hash text PRIMARY KEY,
      agent_id uuid NOT NULL REFERENCES agents(id),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE instances (
      id uuid PRIMARY KEY,
      client_id uuid NOT NULL REFERENCES clients(id),
      agent_id uuid NOT NULL REFERENCES agents(id),
      status text NOT NULL CHECK (status IN
        ('LAUNCHING','RUNNING','PROMOTING','TERMINATING','TERMINATED','OFFLINE','FAILED')),
      role text NOT NULL CHECK (role IN ('PRIMARY','REPLICA','ZOMBIE')),
      market text NOT NULL DEFAULT 'spot' CHECK (market IN ('spot','on-demand')),
      cloud_instance_id text,
      instance_type text NOT NULL,
      availability_zone text,
      region text,
      launch_requested_at timestamptz,
      launch_confirmed_at timestamptz,
      termination_requested_at timestamptz,
      termination_confirmed_at timestamptz,
      -- Invariant 7: durations are derived from the recorded timestamps, by the database.
      launch_duration_seconds double precision GENERATED ALWAYS AS
        (EXTRACT(EPOCH FROM (launch_confirmed_at - launch_requested_at))::double precision) STORED,
      termination_duration_seconds double precision GENERATED ALWAYS AS
        (EXTRACT(EPOCH FROM (termination_confirmed_at - termination_requested_at))::double precision) STORED,
      termination_reason text,
      error_code text,
      error_message text,
      status_changed_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      version integer NOT NULL DEFAULT 1
    );
    CREATE UNIQUE INDEX instances_one_primary_per_agent ON instances (agent_id)
      WHERE role = 'PRIMARY' AND status NOT IN ('TERMINATED', 'FAILED');
    CREATE INDEX instances_client_active ON instances (client_id, status) WHERE status <> 'TERMINATED';
    CREATE INDEX instances_client_terminated ON instances (client_id, termination_confirmed_at DESC)
      WHERE status = 'TERMINATED';
    CREATE INDEX instances_agent ON instances (agent_id, status);
    CREATE INDEX instances_cloud_id ON instances (cloud_instance_id);
    CREATE INDEX instances_transitional ON instances (status, status_changed_at)
      WHERE status IN ('LAUNCHING', 'TERMINATING');

    CREATE TABLE lifecycle_events (
      id bigserial PRIMARY KEY,
      instance_id uuid NOT NULL REFERENCES instances(id),
      client_id uuid NOT NULL,
      event_type text NOT NULL,
      from_status text,
      to_status text,
      source text NOT NULL,
      reason text,
      confirmation_method text,
      cloud_instance_id text,
      metadata jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX lifecycle_events_instance ON lifecycle_events (instance_id, id);

    CREATE TABLE commands (
      id uuid PRIMARY KEY,
      client_id uuid NOT NULL,
      agent_id uuid NOT NULL REFERENCES agents(id),
      instance_id uuid REFERENCES instances(id),
      command_type text NOT NULL,
      priority integer NOT NULL,
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending','delivered','succeeded','failed','expired')),
      request_id text NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      result jsonb,
      message text,
      delivery_count integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz,
      completed_at timestamptz,
      expires_at timestamptz NOT NULL,
      UNIQUE (agent_id, request_id)
    );
    CREATE INDEX commands_agent_open ON commands (agent_id, priority DESC, created_at)
      WHERE status IN ('pending', 'delivered');

    -- The outbox: every real-time event is written here in the transaction of the change
    -- it reports (invariant 5); SSE/WebSocket replay from it after Last-Event-ID.
    CREATE TABLE events (
      seq bigserial PRIMARY KEY,
      client_id uuid NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX events_client_seq ON events (client_id, seq);
    CREATE INDEX events_created ON events (created_at);

    CREATE TABLE idempotency_keys (
      principal text NOT NULL,
      key text NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      request_hash text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_progress', 'done')),
      status_code integer,
      response jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (principal, key)
    );
    CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      actor text NOT NULL,
      action text NOT NULL,
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      before jsonb,
      after jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id);

    CREATE TABLE sessions (
      token_hash text PRIMARY KEY,
      role text NOT NULL CHECK (role IN ('admin', 'client')),
      client_id uuid REFERENCES clients(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    );

    CREATE TABLE interruptions (
      id uuid PRIMARY KEY,
      client_id uuid NOT NULL,
      agent_id uuid NOT NULL REFERENCES agents(id),
      instance_id uuid REFERENCES instances(id),
      cloud_instance_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('termination_notice', 'rebalance_recommendation')),
      action text,
      notice_time timestamptz,
      deadline timestamptz,
      detected_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      response text,
      outcome text,
      UNIQUE (cloud_instance_id, kind)
    );
    CREATE INDEX interruptions_client ON interruptions (client_id, received_at DESC);

    -- Staging tier of the pricing pipeline: what agents report, as reported.
    CREATE TABLE price_snapshots (
      id bigserial PRIMARY KEY,
      client_id uuid NOT NULL,
      agent_id uuid NOT NULL REFERENCES agents(id),
      reporter_role text,
      region text,
      availability_zone text NOT NULL,
      instance_type text NOT NULL,
      product_description text NOT NULL,
      spot_price double precision NOT NULL,
      observed_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agent_id, availability_zone, instance_type, product_description, observed_at)
    );
    CREATE INDEX price_snapshots_pool_time ON price_snapshots (client_id, instance_type, availability_zone, observed_at);

    CREATE TABLE ondemand_prices (
      region text NOT NULL,
      instance_type text NOT NULL,
      price double precision NOT NULL,
      PRIMARY KEY (region, instance_type)
    );
  `.execute(db);
}
