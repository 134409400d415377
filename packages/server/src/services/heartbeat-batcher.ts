import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

export interface HeartbeatFields {
  at: Date;
  cloud_instance_id: string | null;
  instance_type: string | null;
  availability_zone: string | null;
}

interface Pending {
  fields: HeartbeatFields;
  waiters: Array<{ resolve: (pending: number | null) => void; reject: (err: unknown) => void }>;
}

/**
 * Concurrent flushes at most: on PostgreSQL enough to use the pool, few enough that batches
 * grow under load. PGlite is one connection: a second flush would only wait for the first,
 * so one at a time lets the next batch gather everything that arrived meanwhile.
 */
const maxInFlight = (db: Db) => (db.kind === 'pglite' ? 1 : 4);

/**
 * Group commit for heartbeats: heartbeats that arrive while earlier ones are being written
 * are written together in one UPDATE, so the database does one statement for many agents.
 * At low load a batch is one heartbeat and costs no added wait; at thousands per second it
 * turns thousands of statements into tens. Resolves with the agent's pending command count,
 * or null when the agent is not online (the caller then takes the slow path with events).
 */
export class HeartbeatBatcher {
  private queue = new Map<string, Pending>();
  private inFlight = 0;
  private readonly maxInFlight: number;
  private scheduled = false;

  constructor(private readonly db: Db) {
    this.maxInFlight = maxInFlight(db);
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
      const ids = [...batch.keys()];
      const rows = [...batch.values()].map((p) => p.fields);
      const result = await sql<{ id: string; pending: number }>`
        UPDATE agents AS a SET
          last_heartbeat_at = v.at,
          cloud_instance_id = COALESCE(v.cloud, a.cloud_instance_id),
          instance_type = COALESCE(v.itype, a.instance_type),
          availability_zone = COALESCE(v.az, a.availability_zone)
        FROM unnest(
          ${ids}::uuid[], ${rows.map((r) => r.at.toISOString())}::timestamptz[],
          ${rows.map((r) => r.cloud_instance_id)}::text[], ${rows.map((r) => r.instance_type)}::text[],
          ${rows.map((r) => r.availability_zone)}::text[]
        ) AS v(id, at, cloud, itype, az),
          -- This statement's commit does not wait for the WAL flush: a crash can lose only
          -- heartbeat times, which the agents' next beats restore. Local to this one-statement
          -- transaction; state transitions (online/offline) stay durable.
          (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
        WHERE a.id = v.id AND a.status = 'online'
        RETURNING a.id,
          (SELECT count(*)::int FROM commands c WHERE c.agent_id = a.id AND c.status = 'pending') AS pending`.execute(
        this.db.kysely,
      );
      const done = new Map(result.rows.map((r) => [r.id, Number(r.pending)]));
      for (const [id, p] of batch) for (const w of p.waiters) w.resolve(done.has(id) ? done.get(id)! : null);
    } catch (err) {
      for (const p of batch.values()) for (const w of p.waiters) w.reject(err);
    } finally {
      this.inFlight--;
      if (this.queue.size > 0) this.schedule();
    }
  }
}
