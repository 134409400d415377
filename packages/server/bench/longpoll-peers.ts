import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { wallMs } from './stats.ts';

/**
 * The HTTP floor of "launch → long-polling agent has the command": a bare `node:http` server
 * whose GET parks until a POST arrives, then answers it from memory with a prebuilt body.
 */
export async function startBareLongPoll(
  commandJson: string,
): Promise<{ url: string; close(): Promise<void> }> {
  let parked: http.ServerResponse | null = null;
  // A launch that arrives before the poll is parked is queued, as ours would be.
  let queued = 0;
  const body = `{"commands":[${commandJson}]}`;
  const answer = (res: http.ServerResponse) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      if (queued > 0) {
        queued--;
        answer(res);
      } else parked = res;
      return;
    }
    req.resume();
    req.on('end', () => {
      if (parked) answer(parked);
      else queued++;
      parked = null;
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const TABLE = `CREATE TABLE IF NOT EXISTS bench_commands (
  id uuid PRIMARY KEY, agent_id uuid NOT NULL, status text NOT NULL, metadata jsonb NOT NULL,
  delivered_at timestamptz, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS bench_commands_agent ON bench_commands (agent_id, status)`;
const INSERT = `INSERT INTO bench_commands (id, agent_id, status, metadata) VALUES ($1, $2, 'pending', $3)`;
const CLAIM = `UPDATE bench_commands SET status = 'delivered', delivered_at = now()
  WHERE id IN (SELECT id FROM bench_commands WHERE agent_id = $1 AND status = 'pending'
               ORDER BY created_at LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING *`;

/**
 * The database floor of this design: `BEGIN; INSERT; NOTIFY; COMMIT` on one connection,
 * and a LISTENing connection that, woken, claims the row — no HTTP, no framework. On PGlite
 * (one connection by nature) both run on one embedded instance of its own.
 */
export async function startBarePgQueue(databaseUrl: string | undefined): Promise<{
  /** One trial: returns ms from BEGIN to the claim's rows in hand. */
  trial(): Promise<number>;
  close(): Promise<void>;
}> {
  const agentId = randomUUID();
  let woken: (() => void) | null = null;
  const metadata = JSON.stringify({ instance_type: 't3.medium', role: 'REPLICA' });
  if (databaseUrl) {
    const writer = new pg.Client({ connectionString: databaseUrl });
    const listener = new pg.Client({ connectionString: databaseUrl });
    await writer.connect();
    await listener.connect();
    await writer.query(TABLE);
    await listener.query('LISTEN bench_commands');
    listener.on('notification', () => woken?.());
    return {
      async trial() {
        const claimed = new Promise<void>((r) => (woken = r));
        const t0 = wallMs();
        await writer.query('BEGIN');
        await writer.query(INSERT, [randomUUID(), agentId, metadata]);
        await writer.query(`SELECT pg_notify('bench_commands', $1)`, [agentId]);
        await writer.query('COMMIT');
        await claimed;
        const rows = await listener.query(CLAIM, [agentId]);
        if (rows.rowCount !== 1) throw new Error('bare pg: claim found nothing');
        return wallMs() - t0;
      },
      async close() {
        await writer.end();
        await listener.end();
      },
    };
  }
  const lite = new PGlite();
  await lite.exec(TABLE);
  const unlisten = await lite.listen('bench_commands', () => woken?.());
  return {
    async trial() {
      const claimed = new Promise<void>((r) => (woken = r));
      const t0 = wallMs();
      await lite.exec('BEGIN');
      await lite.query(INSERT, [randomUUID(), agentId, metadata]);
      await lite.query(`SELECT pg_notify('bench_commands', $1)`, [agentId]);
      await lite.exec('COMMIT');
      await claimed;
      const rows = await lite.query(CLAIM, [agentId]);
      if (rows.rows.length !== 1) throw new Error('bare pglite: claim found nothing');
      return wallMs() - t0;
    },
    async close() {
      await unlisten();
      await lite.close();
    },
  };
}
