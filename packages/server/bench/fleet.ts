import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { hashToken } from '../src/auth/tokens.ts';
import type { Db } from '../src/db/database.ts';

export interface Fleet {
  clientId: string;
  agents: Array<{ id: string; token: string }>;
}

/**
 * A tenant with `size` online agents and their tokens, written in a few statements (the
 * registration API would take minutes for tens of thousands). Bench-only data, so the SQL
 * lives here rather than in a repository.
 */
export async function createFleet(db: Db, size: number): Promise<Fleet> {
  const clientId = randomUUID();
  await db.kysely
    .insertInto('clients')
    .values({
      id: clientId,
      name: 'bench-fleet',
      token_hash: hashToken(`soc_${randomBytes(24).toString('base64url')}`),
    })
    .execute();
  const agents = Array.from({ length: size }, () => ({
    id: randomUUID(),
    token: `sog_${randomBytes(24).toString('base64url')}`,
  }));
  const CHUNK = 5000;
  for (let i = 0; i < agents.length; i += CHUNK) {
    const part = agents.slice(i, i + CHUNK);
    const ids = part.map((a) => a.id);
    await sql`INSERT INTO agents (id, client_id, logical_id, status, last_heartbeat_at)
      SELECT id, ${clientId}::uuid, 'hb-' || id, 'online', now() FROM unnest(${ids}::uuid[]) AS t(id)`.execute(
      db.kysely,
    );
    await sql`INSERT INTO agent_tokens (token_hash, agent_id)
      SELECT * FROM unnest(${part.map((a) => hashToken(a.token))}::text[], ${ids}::uuid[])`.execute(
      db.kysely,
    );
  }
  return { clientId, agents };
}
