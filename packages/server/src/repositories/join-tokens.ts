import type { Selectable } from 'kysely';
import type { Tx } from '../db/executor.ts';
import type { JoinTokensTable } from '../db/schema.ts';

export type JoinTokenRow = Selectable<JoinTokensTable>;

export async function insertJoinToken(tx: Tx, row: Omit<JoinTokenRow, 'used_at'>): Promise<void> {
  await tx.insertInto('join_tokens').values(row).execute();
}

/** Locks the token row so two agents presenting it at once cannot both join. */
export async function lockJoinToken(tx: Tx, tokenHash: string): Promise<JoinTokenRow | undefined> {
  return tx
    .selectFrom('join_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .forUpdate()
    .executeTakeFirst();
}

export async function markJoinTokenUsed(tx: Tx, tokenHash: string, at: Date): Promise<void> {
  await tx.updateTable('join_tokens').set({ used_at: at }).where('token_hash', '=', tokenHash).execute();
}
