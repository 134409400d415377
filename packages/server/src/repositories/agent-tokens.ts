import { sql } from 'kysely';
import { AUTH_REVOKED_CHANNEL } from '../auth/auth-service.ts';
import type { Tx } from '../db/executor.ts';

/**
 * Revokes the agent tokens bound to instances TERMINATED before `endedBefore`: the machine
 * they were issued to is gone, so a copy of one (from a snapshot, a log, user data) must not
 * keep speaking for the workload. At most `limit` a call (a first pass over an old fleet
 * does the rest on its next runs). Every replica's auth cache drops them when the
 * transaction commits (NOTIFY, one per token, as for a signed-out session).
 */
export async function revokeTokensOfEndedInstances(
  tx: Tx,
  endedBefore: Date,
  limit: number,
): Promise<number> {
  const { rows } = await sql<{ token_hash: string }>`
    WITH ended AS (
      SELECT t.token_hash FROM agent_tokens t JOIN instances i ON i.id = t.instance_id
      WHERE i.status = 'TERMINATED' AND i.status_changed_at < ${endedBefore}
      LIMIT ${limit}
    ),
    revoked AS (
      DELETE FROM agent_tokens t USING ended WHERE t.token_hash = ended.token_hash RETURNING t.token_hash
    )
    SELECT token_hash, pg_notify(${AUTH_REVOKED_CHANNEL}, token_hash) FROM revoked`.execute(tx);
  return rows.length;
}
