import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Principal } from './principal.ts';

type AgentPrincipal = Extract<Principal, { kind: 'agent' }>;

/**
 * Concurrent lookups at most: on PostgreSQL enough to use the pool, few enough that batches
 * grow under load. PGlite is one connection: a second lookup would only wait for the first,
 * so one at a time lets the next batch gather everything that arrived meanwhile.
 */
const maxInFlight = (db: Db) => (db.kind === 'pglite' ? 1 : 4);

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
  private inFlight = 0;
  private readonly maxInFlight: number;
  private scheduled = false;

  constructor(private readonly db: Db) {
    this.maxInFlight = maxInFlight(db);
  }

  resolve(hash: string): Promise<AgentPrincipal | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.queue.get(hash);
      if (waiting) waiting.push({ resolve, reject });
      else this.queue.set(hash, [{ resolve, reject }]);
      this.schedule();
    });
  }

  /**
   * Flush on the next turn of the event loop, not now: every request already read in this
   * I/O phase joins the batch. PGlite runs a query synchronously, so a flush started from
   * the first request's callback would hold the loop and leave each batch one item long.
   */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.queue.size === 0) return;
    const batch = this.queue;
    this.queue = new Map();
    this.inFlight++;
    try {
      const rows = await this.db.kysely
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
        .where(sql<boolean>`agent_tokens.token_hash = ANY(${[...batch.keys()]}::text[])`)
        .execute();
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
    } finally {
      this.inFlight--;
      if (this.queue.size > 0) this.schedule();
    }
  }
}
