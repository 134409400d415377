import { type Kysely, sql } from 'kysely';

/**
 * The model registry (issue 10): every uploaded ONNX model with its version (per name,
 * increasing), declared contract, bytes and digest, validation report and status. At most one
 * model is active per scope ('global' or a client id), enforced here as well as by the domain
 * transition. Decisions record the model asked and, when the rules answered instead, why.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE models (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      version integer NOT NULL CHECK (version > 0),
      description text,
      status text NOT NULL CHECK (status IN ('uploaded', 'validated', 'rejected', 'active', 'retired')),
      scope text,
      contract jsonb NOT NULL,
      bytes bytea NOT NULL,
      size_bytes integer NOT NULL,
      sha256 text NOT NULL,
      validation jsonb,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (name, version),
      CHECK ((status = 'active') = (scope IS NOT NULL))
    );
    CREATE UNIQUE INDEX models_one_active_per_scope ON models (scope) WHERE status = 'active';
    ALTER TABLE decisions ADD COLUMN model_id uuid REFERENCES models(id);
    ALTER TABLE decisions ADD COLUMN fallback text CHECK (fallback IN ('error', 'timeout', 'contract'));
    CREATE INDEX decisions_model ON decisions (model_id) WHERE model_id IS NOT NULL;
  `.execute(db);
}
