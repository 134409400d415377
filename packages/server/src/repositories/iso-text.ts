import { type RawBuilder, sql } from 'kysely';

/**
 * A timestamp column written as ISO 8601 UTC text by the database, exactly as a Date's
 * toISOString writes it (to_char's MS truncates microseconds, as a Date does). Lists of
 * thousands of rows then parse and format no dates.
 */
export const isoText = (column: string): RawBuilder<string | null> =>
  sql<string | null>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
