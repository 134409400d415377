import { type Selectable, sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { ModelsTable } from '../db/schema.ts';

export type ModelRow = Selectable<ModelsTable>;
/** A model without its bytes: what lists, views and the active-model lookup need. */
export type ModelMeta = Omit<ModelRow, 'bytes'>;

const META = [
  'id',
  'name',
  'version',
  'description',
  'status',
  'scope',
  'contract',
  'size_bytes',
  'sha256',
  'validation',
  'created_at',
  'updated_at',
] as const;

/** Inserts the next version of `name` (1 for a new name). A concurrent upload of the same name loses on the unique (name, version). */
export async function insertModel(
  tx: Tx,
  row: {
    id: string;
    name: string;
    description: string | null;
    contract: unknown;
    bytes: Uint8Array;
    sha256: string;
    now: Date;
  },
): Promise<ModelMeta> {
  const last = await tx
    .selectFrom('models')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('name', '=', row.name)
    .executeTakeFirst();
  return tx
    .insertInto('models')
    .values({
      id: row.id,
      name: row.name,
      version: Number(last?.v ?? 0) + 1,
      description: row.description,
      status: 'uploaded',
      scope: null,
      contract: JSON.stringify(row.contract),
      bytes: row.bytes,
      size_bytes: row.bytes.length,
      sha256: row.sha256,
      validation: null,
      created_at: row.now,
      updated_at: row.now,
    })
    .returning(META)
    .executeTakeFirstOrThrow();
}

export async function listModels(db: Executor): Promise<ModelMeta[]> {
  return db.selectFrom('models').select(META).orderBy('name').orderBy('version', 'desc').execute();
}

export async function findModel(db: Executor, id: string): Promise<ModelMeta | undefined> {
  return db.selectFrom('models').select(META).where('id', '=', id).executeTakeFirst();
}

/** Locks the model's row for a status change. */
export async function lockModel(tx: Tx, id: string): Promise<ModelMeta | undefined> {
  return tx.selectFrom('models').select(META).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function modelBytes(db: Executor, id: string): Promise<Uint8Array | undefined> {
  const row = await db.selectFrom('models').select('bytes').where('id', '=', id).executeTakeFirst();
  return row ? new Uint8Array(row.bytes) : undefined;
}

/** The active model of a scope, locked (activation supersedes it). */
export async function lockActiveIn(tx: Tx, scope: string): Promise<ModelMeta | undefined> {
  return tx
    .selectFrom('models')
    .select(META)
    .where('status', '=', 'active')
    .where('scope', '=', scope)
    .forUpdate()
    .executeTakeFirst();
}

/** Every active model: one per scope. */
export async function listActiveModels(db: Executor): Promise<ModelMeta[]> {
  return db.selectFrom('models').select(META).where('status', '=', 'active').execute();
}

export async function updateModelState(
  tx: Tx,
  id: string,
  patch: { status: ModelRow['status']; scope: string | null; validation?: unknown; now: Date },
): Promise<ModelMeta> {
  return tx
    .updateTable('models')
    .set({
      status: patch.status,
      scope: patch.scope,
      ...(patch.validation !== undefined ? { validation: JSON.stringify(patch.validation) } : {}),
      updated_at: patch.now,
    })
    .where('id', '=', id)
    .returning(META)
    .executeTakeFirstOrThrow();
}

/** How a model has served, from the decisions it was asked for. */
export async function modelDecisionStats(
  db: Executor,
  id: string,
): Promise<{ decisions: number; fallbacks: number; p50: number | null; p99: number | null }> {
  const row = await db
    .selectFrom('decisions')
    .select([
      sql<string>`count(*) FILTER (WHERE fallback IS NULL)`.as('decisions'),
      sql<string>`count(*) FILTER (WHERE fallback IS NOT NULL)`.as('fallbacks'),
      sql<
        number | null
      >`percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE fallback IS NULL)`.as('p50'),
      sql<
        number | null
      >`percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE fallback IS NULL)`.as('p99'),
    ])
    .where('model_id', '=', id)
    .executeTakeFirstOrThrow();
  const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000);
  return {
    decisions: Number(row.decisions),
    fallbacks: Number(row.fallbacks),
    p50: num(row.p50),
    p99: num(row.p99),
  };
}
