import { type Kysely, sql } from 'kysely';

/**
 * Every decision the engine makes (issue 10): its full input and output as JSON, the engine
 * (policy or model) that answered, how long it took, whether the contract held, and the
 * switch it ordered. Kept 30 days (the retention job).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE decisions (
      id uuid PRIMARY KEY,
      client_id uuid NOT NULL REFERENCES clients(id),
      agent_id uuid NOT NULL REFERENCES agents(id),
      policy text NOT NULL,
      valid boolean NOT NULL,
      error text,
      input jsonb NOT NULL,
      output jsonb NOT NULL,
      action text NOT NULL,
      latency_ms double precision NOT NULL,
      switch_id uuid REFERENCES switches(id),
      created_at timestamptz NOT NULL
    );
    CREATE INDEX decisions_client_time ON decisions (client_id, created_at DESC);
    CREATE INDEX decisions_agent_time ON decisions (agent_id, created_at DESC);
    CREATE INDEX decisions_time ON decisions (created_at);
  `.execute(db);
}
