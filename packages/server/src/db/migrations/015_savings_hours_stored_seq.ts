import { type Kysely, sql } from 'kysely';

/**
 * Each stored savings hour gets a number from a sequence when it is stored (issue 11), so a
 * reader can tell that the stored hours of a span are the ones it read before: their count and
 * their highest number (repositories/savings-rollup.ts storedSpanStamp). An hour changes only by
 * being removed (migration 010's triggers) and stored again, and stores are serialised (the
 * rollup's step lock), so a store always numbers above every hour stored before it: any store
 * in a span raises its highest number, a removal alone lowers its count. `computed_at` could
 * not say as much: two stores can carry the same clock reading.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE SEQUENCE savings_hours_stored_seq;
    ALTER TABLE savings_hours ADD COLUMN stored_seq bigint NOT NULL DEFAULT nextval('savings_hours_stored_seq');
    ALTER SEQUENCE savings_hours_stored_seq OWNED BY savings_hours.stored_seq;
  `.execute(db);
}
