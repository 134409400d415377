import type { StreamEventPayload, StreamEventType } from '@spot/contract';
import { sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';

export const EVENTS_CHANNEL = 'spot_events';

/** Arbitrary constant key for the advisory lock that orders outbox inserts. */
export const OUTBOX_LOCK_KEY = 7_311_001;

export interface StoredEvent {
  seq: number;
  client_id: string;
  type: StreamEventType;
  data: Record<string, unknown>;
  created_at: Date;
}

/**
 * Appends a real-time event to the caller's transaction (the outbox, invariant 5). It is
 * written when the unit of work ends, just before COMMIT (flushAppended): the advisory lock
 * that orders outbox inserts is then always the LAST lock a transaction takes. Taken
 * mid-transaction, it deadlocked against row locks (a launch held the agent row and waited
 * for the outbox; a notice held the outbox and waited for the agent row — found by the
 * property tests on PostgreSQL).
 */
export function appendEvent<T extends StreamEventType>(
  tx: Tx,
  clientId: string,
  type: T,
  /** Typed by the contract's event map: a payload that does not fit its type does not compile. */
  data: StreamEventPayload<T> & Record<string, unknown>,
): Promise<void> {
  const list = pendingInTx.get(tx) ?? [];
  list.push({ client_id: clientId, type, data });
  pendingInTx.set(tx, list);
  return Promise.resolve();
}

type PendingEvent = Pick<StoredEvent, 'client_id' | 'type' | 'data'>;
const pendingInTx = new WeakMap<Tx, PendingEvent[]>();
/** Events written by a transaction, for the local fast path once it has committed. */
const appendedInTx = new WeakMap<Tx, StoredEvent[]>();

/**
 * Writes the transaction's pending events, in order, as its last step. The advisory lock
 * makes sequence numbers commit in order, so a reader that has seen seq N can never later
 * find a smaller one committed: resuming after Last-Event-ID is exact. NOTIFY is
 * transactional — delivered only if and when the change commits.
 */
export async function flushAppended(tx: Tx): Promise<void> {
  const pending = pendingInTx.get(tx);
  pendingInTx.delete(tx);
  if (!pending || pending.length === 0) return;
  // One statement, one round trip: the lock, the inserts in order, the NOTIFY. The lock CTE
  // is joined into the INSERT's rows, so it is taken before the first sequence number is
  // drawn; ORDER BY ord draws them in append order; the NOTIFY CTE is referenced by the
  // final SELECT, which is what makes PostgreSQL run it (an unreferenced one would not).
  const { rows } = await sql<{ seq: number; created_at: Date }>`
    WITH outbox_lock AS (SELECT pg_advisory_xact_lock(${OUTBOX_LOCK_KEY}) AS locked),
    written AS (
      INSERT INTO events (client_id, type, data)
      SELECT v.client_id, v.type, v.data
      FROM outbox_lock,
        unnest(${pending.map((e) => e.client_id)}::uuid[], ${pending.map((e) => e.type)}::text[],
               ${pending.map((e) => JSON.stringify(e.data))}::jsonb[]) WITH ORDINALITY AS v(client_id, type, data, ord)
      ORDER BY v.ord
      RETURNING seq, created_at
    ),
    notified AS (SELECT pg_notify(${EVENTS_CHANNEL}, (SELECT max(seq) FROM written)::text) AS done)
    SELECT written.seq, written.created_at FROM written, notified ORDER BY written.seq`.execute(tx);
  if (rows.length !== pending.length)
    throw new Error(`outbox: wrote ${rows.length} of ${pending.length} events`);
  appendedInTx.set(
    tx,
    pending.map((e, i) => ({ ...e, seq: Number(rows[i]!.seq), created_at: new Date(rows[i]!.created_at) })),
  );
}

export function takeAppended(tx: Tx): StoredEvent[] {
  const list = appendedInTx.get(tx) ?? [];
  appendedInTx.delete(tx);
  return list;
}

export async function readEventsAfter(db: Executor, afterSeq: number, limit: number): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows as StoredEvent[];
}

export async function readClientEventsAfter(
  db: Executor,
  clientId: string,
  afterSeq: number,
  limit: number,
): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows as StoredEvent[];
}

export async function maxEventSeq(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('seq').as('max'))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

/**
 * The client's latest committed event sequence number (0 when it has none): one backward
 * probe of events_client_seq. Because sequence numbers commit in order, it grows with every
 * change of the client's state (it falls only when retention deletes old events) — the
 * freshness stamp of services/seq-stamped-cache.ts.
 */
export async function latestClientEventSeq(db: Executor, clientId: string): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select('seq')
    .where('client_id', '=', clientId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

export async function deleteEventsBefore(db: Executor, before: Date): Promise<number> {
  const res = await db.deleteFrom('events').where('created_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
