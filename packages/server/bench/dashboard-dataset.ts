import type pg from 'pg';

/** Shape of the bench fleet: one tenant at the scale DESIGN §6 states the targets for. */
export const FLEET = {
  agents: 1_000,
  instancesPerAgent: 10,
  pools: 1_000,
  /**
   * Distinct price observations per pool over `days`, each stored by `reporters` agents: one,
   * since staging keeps one row per pool and time once the pricing pipeline (migration 007)
   * is in, and a second agent's report of the same point is absorbed.
   */
  pointsPerPool: 5_000,
  reporters: 1,
  days: 7,
  /** Agents that have commands waiting for them (3 each). */
  agentsWithPending: 200,
  historyCommandsPerAgent: 20,
} as const;

const FAMILIES = [
  'm5',
  'm5a',
  'm5d',
  'm6i',
  'm6a',
  'm7i',
  'c5',
  'c5a',
  'c5d',
  'c6i',
  'c6a',
  'c7i',
  'r5',
  'r5a',
  'r5d',
  'r6i',
  'r6a',
  'r7i',
  't3',
  't3a',
  'i3',
  'i4i',
  'z1d',
  'x2idn',
];
const SIZES = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'];

/** The bench's pools: real instance-type names × us-east-1's six AZs, 1,000 of them. */
export function benchPools(): Array<{ instance_type: string; availability_zone: string }> {
  const pools: Array<{ instance_type: string; availability_zone: string }> = [];
  for (const f of FAMILIES)
    for (const s of SIZES)
      for (const az of AZS)
        if (pools.length < FLEET.pools) pools.push({ instance_type: `${f}.${s}`, availability_zone: az });
  return pools;
}

export interface BenchFleet {
  /** Pools in (instance_type, availability_zone) order; instance i runs in pools[i % pools]. */
  pools: Array<{ instance_type: string; availability_zone: string }>;
  agentsWithPending: string[];
}

/**
 * Fills an empty, migrated PostgreSQL database for `clientId` with generate_series, in one
 * transaction per table: 1,000 agents, 10,000 instances with their lifecycle events (one
 * live PRIMARY per agent, some replicas, launches and terminations in flight, failures, the
 * rest terminated history), 20,000 finished commands and 600 pending ones, and 5 million
 * price snapshots (1,000 pools × 5,000 observations over 7 days, one row each). `now` is the
 * bench clock's present. Statistics are gathered at the end, as autovacuum would.
 */
export async function buildDataset(db: pg.Client, clientId: string, now: Date): Promise<BenchFleet> {
  const pools = benchPools();
  const q = (text: string, values: unknown[] = []) => db.query(text, values);
  await q('SET synchronous_commit = off');
  await q('CREATE TEMP TABLE bench_pools (n int PRIMARY KEY, instance_type text, availability_zone text)');
  await q(
    `INSERT INTO bench_pools SELECT n - 1, t, az FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(t, az, n)`,
    [pools.map((p) => p.instance_type), pools.map((p) => p.availability_zone)],
  );
  // On-demand list prices for every bench type (so savings prices every run): larger sizes cost more.
  await q(
    `INSERT INTO ondemand_prices (region, instance_type, price)
     SELECT DISTINCT 'us-east-1', instance_type, 0.05 * (1 + (n / 6) % 7) FROM bench_pools
     ON CONFLICT DO NOTHING`,
  );
  await q(
    `INSERT INTO agents (id, client_id, logical_id, status, last_heartbeat_at, instance_type, availability_zone,
       region, cloud_instance_id, agent_version, created_at, updated_at)
     SELECT gen_random_uuid(), $1, 'workload-' || lpad(g::text, 4, '0'),
       CASE WHEN g % 20 = 0 THEN 'offline' ELSE 'online' END,
       $2::timestamptz - make_interval(secs => (g % 30) + CASE WHEN g % 20 = 0 THEN 600 ELSE 0 END),
       p.instance_type, p.availability_zone, 'us-east-1', 'i-' || lpad(to_hex(g), 17, '0'), '1.0.0',
       $2::timestamptz - interval '60 days', $2::timestamptz
     FROM generate_series(0, $3::int - 1) g JOIN bench_pools p ON p.n = g % $4::int`,
    [clientId, now, FLEET.agents, FLEET.pools],
  );
  await q('INSERT INTO agent_configs (agent_id) SELECT id FROM agents WHERE client_id = $1', [clientId]);
  await q(
    `CREATE TEMP TABLE bench_agents AS
     SELECT row_number() OVER (ORDER BY logical_id) - 1 AS n, id FROM agents WHERE client_id = $1`,
    [clientId],
  );
  // Instance k of agent a: k = 0 is its live PRIMARY; k = 1 a live REPLICA for one agent in
  // five; k = 2 launching or terminating for a few; k = 3 FAILED for one in ten; the rest ran
  // and were terminated, one after another, over the last 60 days.
  await q(
    `INSERT INTO instances (id, client_id, agent_id, status, role, market, cloud_instance_id, instance_type,
       availability_zone, region, launch_requested_at, launch_confirmed_at, termination_requested_at,
       termination_confirmed_at, termination_reason, error_code, error_message, status_changed_at, created_at,
       updated_at, version)
     SELECT gen_random_uuid(), $1, a.id, s.status, s.role, CASE WHEN i % 50 = 7 THEN 'on-demand' ELSE 'spot' END,
       CASE WHEN s.status = 'FAILED' THEN NULL ELSE 'i-' || lpad(to_hex(i + 65536), 17, '0') END,
       p.instance_type, p.availability_zone, 'us-east-1',
       s.started, CASE WHEN s.status IN ('RUNNING', 'TERMINATING', 'TERMINATED') THEN s.started + interval '95 s' END,
       CASE WHEN s.status IN ('TERMINATING', 'TERMINATED') THEN s.ended END,
       CASE WHEN s.status = 'TERMINATED' THEN s.ended + interval '40 s' END,
       CASE WHEN s.status IN ('TERMINATING', 'TERMINATED') THEN 'auto_switch' END,
       CASE WHEN s.status = 'FAILED' THEN 'InsufficientInstanceCapacity' END,
       CASE WHEN s.status = 'FAILED' THEN 'no capacity in the pool' END,
       COALESCE(s.ended, s.started), s.started, COALESCE(s.ended, s.started), 3
     FROM generate_series(0, $2::int * $3::int - 1) i
     JOIN bench_agents a ON a.n = i / $3::int
     JOIN bench_pools p ON p.n = i % $4::int
     CROSS JOIN LATERAL (
       SELECT
         CASE WHEN i % $3::int = 0 THEN 'RUNNING'
              WHEN i % $3::int = 1 AND a.n % 5 = 0 THEN 'RUNNING'
              WHEN i % $3::int = 2 AND a.n % 40 = 0 THEN 'LAUNCHING'
              WHEN i % $3::int = 2 AND a.n % 40 = 1 THEN 'TERMINATING'
              WHEN i % $3::int = 3 AND a.n % 10 = 0 THEN 'FAILED'
              ELSE 'TERMINATED' END AS status,
         CASE WHEN i % $3::int = 0 THEN 'PRIMARY' ELSE 'REPLICA' END AS role,
         $5::timestamptz - make_interval(days => 6 * (i % $3::int), secs => a.n * 7) AS started,
         CASE WHEN i % $3::int = 0 OR (i % $3::int = 1 AND a.n % 5 = 0) OR (i % $3::int = 2 AND a.n % 40 = 0)
              OR (i % $3::int = 3 AND a.n % 10 = 0) THEN NULL
              ELSE $5::timestamptz - make_interval(days => 6 * (i % $3::int) - 5, secs => a.n * 7) END AS ended
     ) s`,
    [clientId, FLEET.agents, FLEET.instancesPerAgent, FLEET.pools, now],
  );
  // Each instance's history as the state machine writes it.
  await q(
    `INSERT INTO lifecycle_events (instance_id, client_id, event_type, from_status, to_status, source, reason,
       confirmation_method, cloud_instance_id, metadata, created_at)
     SELECT i.id, i.client_id, e.event_type, e.from_status, e.to_status, e.source, e.reason, e.method,
       i.cloud_instance_id, NULL, e.at
     FROM instances i CROSS JOIN LATERAL (VALUES
       (1, 'LAUNCH_REQUESTED', NULL, 'LAUNCHING', 'backend', 'manual', NULL, i.launch_requested_at),
       (2, CASE WHEN i.status = 'FAILED' THEN 'LAUNCH_FAILED' ELSE 'LAUNCH_CONFIRMED' END, 'LAUNCHING',
          CASE WHEN i.status = 'FAILED' THEN 'FAILED' ELSE 'RUNNING' END, 'agent',
          CASE WHEN i.status = 'FAILED' THEN 'launch_error' END, 'agent_aws_poll',
          COALESCE(i.launch_confirmed_at, i.status_changed_at)),
       (3, 'TERMINATE_REQUESTED', 'RUNNING', 'TERMINATING', 'backend', 'auto_switch', NULL, i.termination_requested_at),
       (4, 'TERMINATE_CONFIRMED', 'TERMINATING', 'TERMINATED', 'agent', 'auto_switch', 'agent_aws_poll',
          i.termination_confirmed_at)
     ) AS e(k, event_type, from_status, to_status, source, reason, method, at)
     WHERE i.client_id = $1
       AND (e.k = 1 OR (e.k = 2 AND i.status <> 'LAUNCHING') OR (e.k = 3 AND i.termination_requested_at IS NOT NULL)
            OR (e.k = 4 AND i.status = 'TERMINATED'))
     ORDER BY i.created_at, i.id, e.k`,
    [clientId],
  );
  // Finished commands (the queue's history) and a few waiting for their agent.
  await q(
    `INSERT INTO commands (id, client_id, agent_id, instance_id, command_type, priority, status, request_id,
       metadata, created_at, delivered_at, completed_at, expires_at, delivery_count)
     SELECT gen_random_uuid(), $1, a.id, NULL, 'LAUNCH_INSTANCE', 50, 'succeeded', 'hist-' || a.n || '-' || k,
       '{}', c.at, c.at + interval '1 s', c.at + interval '3 s', c.at + interval '10 min', 1
     FROM bench_agents a CROSS JOIN generate_series(1, $2::int) k
     CROSS JOIN LATERAL (SELECT $3::timestamptz - make_interval(hours => k * 7, secs => a.n) AS at) c`,
    [clientId, FLEET.historyCommandsPerAgent, now],
  );
  await q(
    `INSERT INTO commands (id, client_id, agent_id, instance_id, command_type, priority, status, request_id,
       metadata, created_at, expires_at)
     SELECT gen_random_uuid(), $1, a.id, NULL, 'TERMINATE_INSTANCE', 50 + k, 'pending', 'pend-' || a.n || '-' || k,
       '{}', $2::timestamptz - make_interval(secs => k), $2::timestamptz + interval '1 day'
     FROM bench_agents a CROSS JOIN generate_series(1, 3) k WHERE a.n < $3::int`,
    [clientId, now, FLEET.agentsWithPending],
  );
  // 5M price snapshots. Loading them with their indexes in place costs minutes on this
  // machine; the indexes (whatever the migrations made them) are dropped first and built
  // again after the load, by sorting, as a bulk restore does. The table is unlogged while it
  // fills: the bench's database is dropped at the end, and plans and reads do not change.
  const defs = await saveIndexes(db, 'price_snapshots');
  await q("SET maintenance_work_mem = '512MB'");
  await q('ALTER TABLE price_snapshots SET UNLOGGED');
  for (const d of defs) await q(d.drop);
  // Pool p's observation j, reported by agents (p + r * 500) % 1000. Prices walk around a
  // pool base; the observation times are shared by every pool, as AWS's are by a region.
  // Rows go in in time order, as reports arrive: one pool's points lie on many heap pages.
  await q(
    `CREATE TEMP TABLE bench_times AS
     SELECT j, $1::timestamptz - make_interval(secs => ($2::int * 86400.0 / $3::int) * ($3::int - j)) AS at
     FROM generate_series(0, $3::int - 1) j`,
    [now, FLEET.days, FLEET.pointsPerPool],
  );
  await q(
    `CREATE TEMP TABLE bench_reporters AS
     SELECT p.n AS pool, r, a.id AS agent_id, CASE WHEN r = 0 THEN 'PRIMARY' ELSE 'REPLICA' END AS role
     FROM bench_pools p CROSS JOIN generate_series(0, $1::int - 1) r
     JOIN bench_agents a ON a.n = (p.n + r * 500) % 1000`,
    [FLEET.reporters],
  );
  await q(
    `INSERT INTO price_snapshots (client_id, agent_id, reporter_role, region, availability_zone, instance_type,
       product_description, spot_price, observed_at, received_at)
     SELECT $1, r.agent_id, r.role, 'us-east-1', p.availability_zone, p.instance_type, 'Linux/UNIX',
       round(100000 * 0.02 * (1 + (p.n / 6) % 7) * (1 + 0.15 * sin(t.j / 40.0 + p.n) + 0.05 * ((t.j * 7919 + p.n) % 13) / 13.0)) / 100000,
       t.at, t.at + interval '20 s'
     FROM bench_pools p CROSS JOIN bench_times t JOIN bench_reporters r ON r.pool = p.n
     ORDER BY t.j, p.n, r.r`,
    [clientId],
  );
  for (const d of defs) await q(d.create);
  // What autovacuum does to an insert-only table soon after: statistics and the visibility map.
  await q('VACUUM ANALYZE price_snapshots');
  await q('VACUUM ANALYZE instances');
  await q('ANALYZE');
  const pending = await q('SELECT id FROM bench_agents WHERE n < $1 ORDER BY n', [FLEET.agentsWithPending]);
  return { pools, agentsWithPending: pending.rows.map((r) => r.id as string) };
}

/** The table's indexes, key and foreign-key constraints as statements that drop and re-create them. */
async function saveIndexes(db: pg.Client, table: string): Promise<Array<{ drop: string; create: string }>> {
  const constraints = await db.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f')`,
    [table],
  );
  const indexes = await db.query<{ name: string; def: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
    [table],
  );
  return [
    ...constraints.rows.map((c) => ({
      drop: `ALTER TABLE ${table} DROP CONSTRAINT ${c.name}`,
      create: `ALTER TABLE ${table} ADD CONSTRAINT ${c.name} ${c.def}`,
    })),
    ...indexes.rows.map((i) => ({ drop: `DROP INDEX ${i.name}`, create: i.def })),
  ];
}
