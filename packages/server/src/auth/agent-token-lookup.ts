import { type Kysely, sql } from 'kysely';
import { BatchFlusher } from '../db/batch-flusher.ts';
import { CompiledOnce } from '../db/compiled-once.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Principal } from './principal.ts';

type AgentPrincipal = Extract<Principal, { kind: 'agent' }>;

/** The agents of a batch of token hashes (parameter: the hashes). */
const LOOKUP = new CompiledOnce((k: Kysely<Database>) =>
  k
    .selectFrom('agent_tokens')
    .innerJoin('agents', 'agents.id', 'agent_tokens.agent_id')
    .select([
      'agent_tokens.token_hash',
      'agents.id',
      'agents.client_id',
      'agents.logical_id',
      'agent_tokens.instance_id',
    ])
    // One array parameter, not one placeholder per token: the statement stays the same
    // text whatever the batch size.
    .where(sql<boolean>`agent_tokens.token_hash = ANY(${[] as string[]}::text[])`)
    .compile(),
);

/**
 * Agent tokens resolved in groups: tokens that arrive while earlier lookups run are looked up
 * together in one indexed query. At fleet scale every heartbeat of an agent whose interval
 * exceeds the cache lifetime is a miss; one query per miss made the lookups, not the
 * heartbeat writes, the ceiling (measured with `npm run bench`). At low load a batch is
 * one token and costs no added wait.
 */
export class AgentTokenLookup {
  private queue = new Map<
    string,
    Array<{ resolve: (p: AgentPrincipal | null) => void; reject: (e: unknown) => void }>
  >();
  private readonly flusher: BatchFlusher;

  constructor(private readonly db: Db) {
    this.flusher = new BatchFlusher(
      db,
      () => this.queue.size > 0,
      () => this.flush(),
    );
  }

  resolve(hash: string): Promise<AgentPrincipal | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.queue.get(hash);
      if (waiting) waiting.push({ resolve, reject });
      else this.queue.set(hash, [{ resolve, reject }]);
      this.flusher.request();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = new Map();
    try {
      const { rows } = await LOOKUP.run(this.db.kysely, [[...batch.keys()]]);
      const found = new Map(rows.map((a) => [a.token_hash, a]));
      for (const [hash, waiters] of batch) {
        const a = found.get(hash);
        const principal: AgentPrincipal | null = a
          ? {
              kind: 'agent',
              agentId: a.id,
              clientId: a.client_id,
              logicalId: a.logical_id,
              instanceId: a.instance_id,
            }
          : null;
        for (const w of waiters) w.resolve(principal);
      }
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  }
}
