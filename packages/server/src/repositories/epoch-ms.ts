import { type Expression, type RawBuilder, sql } from 'kysely';

/**
 * A timestamp as milliseconds since the epoch, a float8 the driver hands over as a number, where
 * a timestamptz would come back as a Date parsed for every row: series of thousands of points
 * then parse no dates. `column` is a column name (sql.ref, as isoText takes it) or an expression
 * such as sql`min(hour)`. The type is `number | null` when the value can be NULL (an aggregate or
 * a nullable column): `epochMs<number | null>(...)`.
 */
export const epochMs = <T extends number | null = number>(
  column: string | Expression<unknown>,
): RawBuilder<T> =>
  sql<T>`(extract(epoch from ${typeof column === 'string' ? sql.ref(column) : column}) * 1000)::float8`;
