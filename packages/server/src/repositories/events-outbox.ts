import type { StreamEventPayload, StreamEventType } from '@spot/contract';
import { sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';

export const EVENTS_CHANNEL = 'spot_events';

/** Arbitrary constant key for the advisory lock that orders outbox inserts. */
const OUTBOX_LOCK_KEY = 7_311_001;

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
  await sql`SELECT pg_advisory_xact_lock(${OUTBOX_LOCK_KEY})`.execute(tx);
  const written: StoredEvent[] = [];
  for (const e of pending) {
    const row = await tx
      .insertInto('events')
      .values({ client_id: e.client_id, type: e.type, data: JSON.stringify(e.data) })
      .returning(['seq', 'created_at'])
      .executeTakeFirstOrThrow();
    written.push({ ...e, seq: row.seq, created_at: row.created_at });
  }
  await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${String(written.at(-1)!.seq)})`.execute(tx);
  appendedInTx.set(tx, written);
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

export async function deleteEventsBefore(db: Executor, before: Date): Promise<number> {
  const res = await db.deleteFrom('events').where('created_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
