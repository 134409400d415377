import { type Kysely, sql } from 'kysely';

/**
 * Heartbeat updates become HOT (heap-only tuple) updates on PostgreSQL (issue 11). A fleet of
 * 5,000 heartbeats a second rewrites 5,000 agent rows a second; while an index covers a column
 * the heartbeat writes (`agents_online_heartbeat` on last_heartbeat_at did), every beat also
 * inserts a new entry into every index of the table and leaves dead ones for vacuum. With no
 * indexed column written, the new row version stays on its page and no index is touched.
 *
 * The offline sweep (job `heartbeat-monitor`, every 5 s) read that index; it now scans the
 * agents table, which costs it a few milliseconds at 100,000 agents every 5 s, against three
 * index insertions per heartbeat. The free space a HOT update needs on the row's own page
 * is kept by a fillfactor of 70 (new pages; old pages gain it as rows move).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX agents_online_heartbeat;
    ALTER TABLE agents SET (fillfactor = 70);
  `.execute(db);
}
