import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

/**
 * Upserts the shipped catalogue's on-demand prices. Rows an operator set stay as they are;
 * built-in and earlier catalogue rows take the catalogue's price. Returns rows written.
 */
export async function upsertCatalogueOndemand(
  db: Executor,
  rows: Array<{ region: string; instance_type: string; price: number }>,
): Promise<number> {
  let written = 0;
  for (let i = 0; i < rows.length; i += 500) {
    const r = await db
      .insertInto('ondemand_prices')
      .values(rows.slice(i, i + 500).map((row) => ({ ...row, source: 'catalogue' })))
      .onConflict((oc) =>
        oc
          .columns(['region', 'instance_type'])
          .doUpdateSet({ price: sql.ref('excluded.price'), source: 'catalogue' })
          .where('ondemand_prices.source', '<>', 'operator'),
      )
      .returning('region')
      .execute();
    written += r.length;
  }
  return written;
}
