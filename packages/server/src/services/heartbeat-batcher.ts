import { type Kysely, sql } from 'kysely';
import { BatchFlusher } from '../db/batch-flusher.ts';
import { CompiledOnce } from '../db/compiled-once.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';

export interface HeartbeatFields {
  at: Date;
  cloud_instance_id: string | null;
  instance_type: string | null;
  availability_zone: string | null;
}

/**
 * One batch's heartbeats written (parameters: agent ids, times, cloud instance ids, types,
 * zones), answering each online agent's pending command count.
 */
const WRITE = new CompiledOnce((k: Kysely<Database>) => {
  const none = [] as string[];
  return sql<{ id: string; pending: number }>`
    UPDATE agents AS a SET
      last_heartbeat_at = v.at,
      cloud_instance_id = COALESCE(v.cloud, a.cloud_instance_id),
      instance_type = COALESCE(v.itype, a.instance_type),
      availability_zone = COALESCE(v.az, a.availability_zone)
    FROM unnest(
      ${none}::uuid[], ${none}::timestamptz[], ${none}::text[], ${none}::text[], ${none}::text[]
    ) AS v(id, at, cloud, itype, az),
      -- This statement's commit does not wait for the WAL flush: a crash can lose only
      -- heartbeat times, which the agents' next beats restore. Local to this one-statement
      -- transaction; state transitions (online/offline) stay durable.
      (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
    WHERE a.id = v.id AND a.status = 'online'
    RETURNING a.id,
      (SELECT count(*)::int FROM commands c WHERE c.agent_id = a.id AND c.status = 'pending') AS pending`.compile(
    k,
  );
});

interface Pending {
  fields: HeartbeatFields;
  waiters: Array<{ resolve: (pending: number | null) => void; reject: (err: unknown) => void }>;
}

/**
 * Group commit for heartbeats: heartbeats that arrive while earlier ones are being written
 * are written together in one UPDATE, so the database does one statement for many agents.
 * At low load a batch is one heartbeat and costs no added wait; at thousands per second it
 * turns thousands of statements into tens. Resolves with the agent's pending command count,
 * or null when the agent is not online (the caller then takes the slow path with events).
 */
export class HeartbeatBatcher {
  private queue = new Map<string, Pending>();
  private readonly flusher: BatchFlusher;

  constructor(private readonly db: Db) {
    this.flusher = new BatchFlusher(
      db,
      () => this.queue.size > 0,
      () => this.flush(),
    );
  }

  record(agentId: string, fields: HeartbeatFields): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const cur = this.queue.get(agentId);
      if (cur) {
        cur.fields = fields; // the newest heartbeat of an agent wins
        cur.waiters.push({ resolve, reject });
      } else {
        this.queue.set(agentId, { fields, waiters: [{ resolve, reject }] });
      }
      this.flusher.request();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = new Map();
    try {
      const ids = [...batch.keys()];
      const rows = [...batch.values()].map((p) => p.fields);
      const result = await WRITE.run(this.db.kysely, [
        ids,
        rows.map((r) => r.at.toISOString()),
        rows.map((r) => r.cloud_instance_id),
        rows.map((r) => r.instance_type),
        rows.map((r) => r.availability_zone),
      ]);
      const done = new Map(result.rows.map((r) => [r.id, Number(r.pending)]));
      for (const [id, p] of batch) for (const w of p.waiters) w.resolve(done.has(id) ? done.get(id)! : null);
    } catch (err) {
      for (const p of batch.values()) for (const w of p.waiters) w.reject(err);
    }
  }
}
