import http from 'node:http';
import { loadavg } from 'node:os';
import { PRICE_POINTS_CAP } from '@spot/contract';
import pg from 'pg';
import { hashToken } from '../src/auth/tokens.ts';
import { runJobOnce } from '../src/jobs/catalog.ts';
import { OUTBOX_LOCK_KEY } from '../src/repositories/events-outbox.ts';
import { INSTANCE_TIMES } from '../src/repositories/instances.ts';
import { agentSumsQuery } from '../src/repositories/savings-agent-hours.ts';
import { toInstanceJson } from '../src/views/instance.ts';
import { startTestServer } from '../test/support/server.ts';
import { type AbPair, printAb, runAbPair } from './ab-pairs.ts';
import { benchDatabase } from './bench-db.ts';
import { buildDataset, FLEET } from './dashboard-dataset.ts';

const TARGET = 'p95 ≤ 20 ms';

/** The price-series reads as repositories/price-series.ts issues them: one pool, every pool. */
const onePoolSql = `
  SELECT DISTINCT ON (s.observed_at) s.instance_type, s.availability_zone, s.region,
    to_char(s.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t, s.spot_price
  FROM price_snapshots s
  WHERE s.client_id = $1 AND s.instance_type = $3 AND s.availability_zone = $4 AND s.observed_at >= $2
  ORDER BY s.observed_at LIMIT ${PRICE_POINTS_CAP + 1}`;
const everyPoolSql = `
  WITH RECURSIVE pools AS (
    (SELECT s.instance_type, s.availability_zone FROM price_snapshots s WHERE s.client_id = $1
     ORDER BY s.instance_type, s.availability_zone LIMIT 1)
    UNION ALL
    SELECT n.instance_type, n.availability_zone FROM pools p CROSS JOIN LATERAL (
      SELECT s.instance_type, s.availability_zone FROM price_snapshots s
      WHERE s.client_id = $1 AND (s.instance_type, s.availability_zone) > (p.instance_type, p.availability_zone)
      ORDER BY s.instance_type, s.availability_zone LIMIT 1) n)
  SELECT pts.* FROM pools CROSS JOIN LATERAL (
    SELECT DISTINCT ON (s.observed_at) s.instance_type, s.availability_zone, s.region,
    to_char(s.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t, s.spot_price
    FROM price_snapshots s
    WHERE s.client_id = $1 AND s.instance_type = pools.instance_type
      AND s.availability_zone = pools.availability_zone AND s.observed_at >= $2
    ORDER BY s.observed_at) pts
  LIMIT ${PRICE_POINTS_CAP + 1}`;

/**
 * The unknowns of a savings window's stored hours as repositories/savings-rollup.ts reads them:
 * the running totals at its last stored hour and at the last one before it ($1 client, $2/$3
 * span), one round trip.
 */
const totalsAt = (edge: string, bound: string) => `
  (SELECT '${edge}' AS edge, h.hour, u.ondemand, u.spot FROM savings_hours h
   LEFT JOIN savings_unknown_totals u ON u.client_id = h.client_id AND u.hour = h.hour
   WHERE h.client_id = $1 AND h.hour < ${bound} ORDER BY h.hour DESC LIMIT 1)`;
const unknownTotalsSql = `${totalsAt('end', '$3')} UNION ALL ${totalsAt('before', '$2')}`;

/** The columns an instance list reads (repositories/instances.ts), timestamps as ISO text. */
const listColumns = [
  'id, agent_id, status, role, market, cloud_instance_id, instance_type, availability_zone, region',
  'launch_duration_seconds, termination_duration_seconds, termination_reason, error_code, error_message, version',
  ...INSTANCE_TIMES.map(
    (c) => `to_char(instances.${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${c}`,
  ),
].join(', ');

/** GET over one kept-alive socket; resolves when the whole body has arrived. */
function getter(baseUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return (path: string, token: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.get(
        `${baseUrl}${path}`,
        { agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200)
              reject(new Error(`GET ${path}: ${res.statusCode} ${body.slice(0, 200)}`));
            else resolve(body);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
}

/** POST of a JSON body over one kept-alive socket; resolves with the parsed answer. */
function poster(baseUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return (path: string, token: string, body: unknown) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = http.request(
        `${baseUrl}${path}`,
        {
          agent,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200)
              reject(new Error(`POST ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
            else resolve(JSON.parse(text) as Record<string, unknown>);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
}

/**
 * The dashboard's reads at fleet scale (issue 11), on PostgreSQL: a tenant with 1,000
 * agents, 10,000 instances with their lifecycle history, 20,600 commands and 5 million
 * price snapshots, built with generate_series in a database of the bench's own (dropped
 * after). Each read goes through the real HTTP server over a real socket (auth, routing,
 * query, mapping, response validation and serialisation), beside its peer: the same rows
 * fetched by a bare `pg` client over its own connection — the database's floor.
 */
export async function runDashboardQueriesBench(): Promise<void> {
  console.log('\n# dashboard queries at fleet scale (10,000 instances, 1,000 agents, 5M price rows)');
  if (process.env.TEST_DB !== 'postgres') {
    console.log('  skipped on PGlite: the fleet-scale dataset is built and measured on PostgreSQL only');
    return;
  }
  const testDb = await benchDatabase();
  // An interrupted run still drops its 5M-row database.
  const drop = () => void testDb.dispose().finally(() => process.exit(130));
  process.once('SIGINT', drop);
  process.once('SIGTERM', drop);
  const t = await startTestServer({ listen: true, testDb });
  const bare = new pg.Client({ connectionString: testDb.env.DATABASE_URL });
  const barePool = new pg.Pool({ connectionString: testDb.env.DATABASE_URL, max: 4 });
  await bare.connect();
  try {
    const tenant = await t.newTenant('bench-fleet');
    const now = new Date();
    const t0 = performance.now();
    const fleet = await buildDataset(bare, tenant.clientId, now);
    const built = await bare.query<{ instances: number; events: number; prices: number; commands: number }>(
      `SELECT (SELECT count(*)::int FROM instances) AS instances, (SELECT count(*)::int FROM lifecycle_events) AS events,
              (SELECT count(*)::int FROM price_snapshots) AS prices, (SELECT count(*)::int FROM commands) AS commands`,
    );
    const c = built.rows[0]!;
    console.log(
      `  dataset: ${c.instances} instances, ${c.events} lifecycle events, ${FLEET.agents} agents, ${c.commands} commands, ${c.prices} price rows; built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const [l1, l5] = loadavg();
    console.log(
      `  ${now.toISOString()}, load average ${l1!.toFixed(2)} / ${l5!.toFixed(2)}; ours: HTTP over a real socket (node:http keep-alive), one request at a time; peer: bare pg, one connection (savings: a pool of 4, reading concurrently as ours does)`,
    );

    // The savings rollup's first pass over the dataset (a one-time backfill: afterwards each
    // pass computes only the hours finished since, or removed by a change).
    const r0 = performance.now();
    let rolled = 0;
    for (let n = 1; n > 0; rolled += n) n = (await runJobOnce('savings-rollup', t.server.jobDeps)) ?? 0;
    const r1 = performance.now();
    const again = (await runJobOnce('savings-rollup', t.server.jobDeps)) ?? 0;
    console.log(
      `  savings rollup: backfill stored ${rolled} client-hours in ${((r1 - r0) / 1000).toFixed(1)} s; a pass with nothing new: ${(performance.now() - r1).toFixed(1)} ms (${again} stored)`,
    );

    // Agent tokens for the agents whose pending commands are claimed.
    const agentTokens = fleet.agentsWithPending.map((id, i) => ({ id, token: `sog_bench_${i}_${id}` }));
    for (const a of agentTokens)
      await bare.query('INSERT INTO agent_tokens (token_hash, agent_id) VALUES ($1, $2)', [
        hashToken(a.token),
        a.id,
      ]);

    const get = getter(t.url);
    const client = tenant.clientId;
    const token = tenant.token;
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    const instanceIds = (
      await bare.query<{ id: string }>('SELECT id FROM instances WHERE client_id = $1', [client])
    ).rows.map((r) => r.id);
    const pools = fleet.pools;

    /** A savings window of `hours` ending now: its stored span and its two raw edges. */
    const savingsWindow = (hours: number) => {
      const H = 3_600_000;
      const now = Date.now();
      const since = now - hours * H;
      const firstFull = Math.ceil(since / H) * H;
      const lastFull = Math.floor(now / H) * H;
      const settled = Math.floor((now - 10 * 60_000) / H) * H;
      return {
        since,
        stored: [client, new Date(firstFull), new Date(lastFull)],
        edges: [
          [since, firstFull],
          [Math.max(firstFull, Math.min(lastFull, settled)), now],
        ] as const,
      };
    };
    /**
     * A window's two raw edges as the service reads them: the runs that overlap either, then the
     * price points (with each pool's last point before the edge) of each edge's spot runs' pools.
     */
    const readSavingsEdges = async ({ edges }: ReturnType<typeof savingsWindow>) => {
      const runs = await barePool.query<{
        id: string;
        instance_type: string;
        availability_zone: string;
        market: string;
        launched: number;
        terminated: number | null;
      }>(
        `SELECT id, agent_id, role, instance_type, availability_zone, region, market,
                (extract(epoch from launch_confirmed_at) * 1000)::float8 AS launched,
                (extract(epoch from termination_confirmed_at) * 1000)::float8 AS terminated
         FROM instances WHERE client_id = $1 AND launch_confirmed_at IS NOT NULL
           AND coalesce(termination_confirmed_at, 'infinity'::timestamptz) > $2
           AND ((launch_confirmed_at < $3 AND coalesce(termination_confirmed_at, 'infinity'::timestamptz) > $2)
             OR (launch_confirmed_at < $5 AND coalesce(termination_confirmed_at, 'infinity'::timestamptz) > $4))`,
        [client, ...edges.flat().map((t) => new Date(t))],
      );
      const wanted = edges.flatMap(([from, to], k) => [
        ...new Map(
          runs.rows
            .filter((r) => r.market === 'spot' && r.launched < to && (r.terminated ?? Infinity) > from)
            .map((r) => [`${r.instance_type}|${r.availability_zone}`, { ...r, k, from, to }]),
        ).values(),
      ]);
      await barePool.query(
        `SELECT p.instance_type, p.availability_zone, p.k, x.observed_at, x.spot_price
         FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[])
           AS p(instance_type, availability_zone, k, since, until)
         CROSS JOIN LATERAL (
           (SELECT s.observed_at, s.spot_price FROM price_snapshots s
            WHERE s.client_id = $1 AND s.instance_type = p.instance_type
              AND s.availability_zone = p.availability_zone AND s.observed_at < p.since
            ORDER BY s.observed_at DESC LIMIT 1)
           UNION ALL
           (SELECT s.observed_at, s.spot_price FROM price_snapshots s
            WHERE s.client_id = $1 AND s.instance_type = p.instance_type
              AND s.availability_zone = p.availability_zone AND s.observed_at >= p.since
              AND s.observed_at <= p.until
            ORDER BY s.observed_at)) x`,
        [
          client,
          wanted.map((p) => p.instance_type),
          wanted.map((p) => p.availability_zone),
          wanted.map((p) => p.k),
          wanted.map((p) => new Date(p.from)),
          wanted.map((p) => new Date(p.to)),
        ],
      );
      return runs.rows;
    };

    const activeIds = (
      await bare.query<{ id: string }>(
        "SELECT id FROM instances WHERE client_id = $1 AND status <> 'TERMINATED'",
        [client],
      )
    ).rows.map((r) => r.id);
    let changes = 0;
    const post = poster(t.url);
    let reports = 0;
    let firstPagePools: Array<{ instance_type: string; availability_zone: string }> = [];
    const readActiveList = async () =>
      void (await bare.query(
        `SELECT ${listColumns} FROM instances WHERE client_id = $1 AND status <> 'TERMINATED'
         ORDER BY instances.created_at DESC`,
        [client],
      ));
    /**
     * An agent reports a new price for one pool, now, through the report route (its rows and
     * its PRICE_UPDATED event in one transaction, the savings rollup's trigger recording it).
     */
    const reportPrice = async (p: { instance_type: string; availability_zone: string }) => {
      const a = agentTokens[0]!;
      const res = await post(`/api/agents/${a.id}/pricing-report`, a.token, {
        prices: [
          {
            instance_type: p.instance_type,
            availability_zone: p.availability_zone,
            region: p.availability_zone.slice(0, -1),
            spot_price: 0.01 + Math.random() / 100,
            timestamp: new Date(Date.now() - 1000 + ++reports).toISOString(),
          },
        ],
      });
      if (res.accepted !== 1) throw new Error(`price report accepted ${res.accepted}`);
    };
    const pairs: Array<AbPair & { budget: number; max?: number }> = [
      {
        label:
          'instance list, unchanged since the last read (GET /api/client/instances: answer held by event seq)',
        seeds: '55 ms (instance status)',
        budget: 30_000,
        ours: async () => void (await get('/api/client/instances', token)),
        peer: readActiveList,
      },
      {
        label:
          'instance list, after a change (GET /api/client/instances: held answer brought forward by its event)',
        seeds: '55 ms (instance status)',
        budget: 30_000,
        ours: async () => void (await get('/api/client/instances', token)),
        peer: readActiveList,
        // Untimed, after every trial: one instance changes as the product changes it (its row
        // and its event, carrying the row, in one transaction; the event last, in seq order),
        // so each read finds the held answer stale and brings it forward.
        reset: async () => {
          await bare.query('BEGIN');
          const { rows } = await bare.query(
            `UPDATE instances SET error_message = $2, version = version + 1, updated_at = now()
             WHERE id = $1 RETURNING *`,
            [pick(activeIds), `bench change ${++changes}`],
          );
          await bare.query(
            `WITH l AS (SELECT pg_advisory_xact_lock(${OUTBOX_LOCK_KEY}))
             INSERT INTO events (client_id, type, data) SELECT $1, 'INSTANCE_UPDATED', $2 FROM l`,
            [client, JSON.stringify(toInstanceJson(rows[0]))],
          );
          await bare.query('COMMIT');
        },
      },
      {
        label: 'one instance (GET /api/client/instances/:id)',
        seeds: '55 ms (instance status)',
        budget: 15_000,
        ours: async () => void (await get(`/api/client/instances/${pick(instanceIds)}`, token)),
        peer: async () =>
          void (await bare.query('SELECT * FROM instances WHERE id = $1 AND client_id = $2', [
            pick(instanceIds),
            client,
          ])),
      },
      {
        label: 'instance history (GET /api/client/instances/:id/history)',
        seeds: '55 ms (instance status)',
        budget: 15_000,
        ours: async () => void (await get(`/api/client/instances/${pick(instanceIds)}/history`, token)),
        peer: async () => {
          const id = pick(instanceIds);
          await bare.query('SELECT * FROM instances WHERE id = $1 AND client_id = $2', [id, client]);
          await bare.query('SELECT * FROM lifecycle_events WHERE instance_id = $1 ORDER BY id', [id]);
        },
      },
      (() => {
        let last = agentTokens[0]!;
        return {
          label: 'pending commands, agent claims 3 (GET /api/agents/:id/pending-commands?wait=0)',
          seeds: '45 ms (agent pending commands)',
          budget: 15_000,
          ours: async () => {
            last = pick(agentTokens);
            const body = await get(`/api/agents/${last.id}/pending-commands?wait=0`, last.token);
            if (!body.includes('TERMINATE_INSTANCE')) throw new Error('claimed nothing');
          },
          peer: async () => {
            last = pick(agentTokens);
            const r = await bare.query(
              `UPDATE commands SET status = 'delivered', delivered_at = $2, delivery_count = delivery_count + 1
               WHERE id IN (
                 SELECT c.id FROM commands c
                 WHERE c.agent_id = $1
                   AND (c.status = 'pending' OR (c.status = 'delivered' AND c.delivered_at < $3))
                   AND c.expires_at > $2
                   AND (c.executor_instance_id IS NULL OR c.executor_instance_id = $4 OR NOT EXISTS (
                     SELECT 1 FROM instances e
                     WHERE e.id = c.executor_instance_id AND e.status IN ('LAUNCHING', 'RUNNING', 'PROMOTING')))
                 ORDER BY c.priority DESC, c.created_at LIMIT 10 FOR UPDATE OF c SKIP LOCKED)
               RETURNING *`,
              [last.id, new Date(), new Date(Date.now() - 60_000), null],
            );
            if (r.rowCount !== 3) throw new Error('claimed nothing');
          },
          // Put the three back, untimed, so every trial claims real pending commands.
          reset: async () =>
            void (await bare.query(
              `UPDATE commands SET status = 'pending', delivered_at = NULL, delivery_count = 0
               WHERE agent_id = $1 AND status = 'delivered'`,
              [last.id],
            )),
        };
      })(),
      {
        label: 'agents (GET /api/client/agents, 1,000 with active instance counts)',
        seeds: '280 ms (dashboard summary)',
        budget: 30_000,
        ours: async () => void (await get('/api/client/agents', token)),
        peer: async () =>
          void (await bare.query(
            `SELECT agents.*, coalesce(live.n, 0) AS active_instances FROM agents
             LEFT JOIN (SELECT agent_id, count(*)::int AS n FROM instances
                        WHERE client_id = $1 AND status NOT IN ('TERMINATED', 'FAILED') GROUP BY agent_id) live
               ON live.agent_id = agents.id
             WHERE agents.client_id = $1 ORDER BY agents.logical_id`,
            [client],
          )),
      },
      {
        label: '24 h prices, one pool (GET /api/client/prices?hours=24&instance_type&availability_zone)',
        seeds: '150 ms (recent pricing 24 h)',
        budget: 15_000,
        ours: async () => {
          const p = pick(pools);
          await get(
            `/api/client/prices?hours=24&instance_type=${p.instance_type}&availability_zone=${p.availability_zone}`,
            token,
          );
        },
        peer: async () => {
          const p = pick(pools);
          await bare.query(onePoolSql, [
            client,
            new Date(Date.now() - 86_400_000),
            p.instance_type,
            p.availability_zone,
          ]);
          await bare.query('SELECT * FROM ondemand_prices');
        },
      },
      ...(['unchanged since the last read', 'after a price report'] as const).map((when) => ({
        label: `24 h prices, every pool, ${when} (GET /api/client/prices?hours=24: first page, ${PRICE_POINTS_CAP} points${when === 'unchanged since the last read' ? ', held window' : ', its changed pool read again'})`,
        seeds: '150 ms (recent pricing 24 h)',
        budget: 30_000,
        ours: async () => {
          const body = JSON.parse(await get('/api/client/prices?hours=24', token)) as {
            truncated: boolean;
            pools: Array<{ instance_type: string; availability_zone: string }>;
          };
          if (!body.truncated) throw new Error('every pool fit in one page: the bench measures the cap');
          firstPagePools = body.pools;
        },
        peer: async () => {
          await bare.query(everyPoolSql, [client, new Date(Date.now() - 86_400_000)]);
          await bare.query('SELECT * FROM ondemand_prices');
        },
        // Untimed, after every trial: an agent reports a new price for one pool of the page,
        // through the report route (its rows and its PRICE_UPDATED event in one transaction).
        ...(when === 'after a price report'
          ? {
              reset: async () => {
                if (firstPagePools.length === 0)
                  firstPagePools = (
                    JSON.parse(await get('/api/client/prices?hours=24', token)) as {
                      pools: typeof firstPagePools;
                    }
                  ).pools;
                await reportPrice(pick(firstPagePools));
              },
            }
          : {}),
      })),
      // The savings rollup stores finished hours (job 'savings-rollup', run above): a window
      // holds its stored hours and the raw hour its partial first hour is cut from while the
      // rollup changes none of them, and the hours since the last stored one while the
      // client's events change none of their runs or pools. An agent reports a current price
      // for a random pool after every trial, as a fleet does all the time (it changes no
      // finished hour; one report in eight names a pool the live hours hold, which is read
      // again); the peer reads what an answer with nothing held reads.
      ...[24, 720].map((hours) => ({
        label: `savings, ${hours} h window, a price reported before each read (GET /api/client/savings?hours=${hours}: stored part and live hours held)`,
        reset: () => reportPrice(pick(pools)),
        seeds: '280 ms (dashboard summary)',
        budget: 30_000,
        ours: async () => void (await get(`/api/client/savings?hours=${hours}`, token)),
        // The rows the service reads, with the same concurrency (a pool of 4 connections, as the
        // server has more): the window's stored hours, their unknowns' totals, the on-demand
        // list and its two raw edges all at once.
        peer: async () => {
          const w = savingsWindow(hours);
          await Promise.all([
            barePool.query(
              'SELECT * FROM savings_hours WHERE client_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour',
              w.stored,
            ),
            barePool.query(unknownTotalsSql, w.stored),
            barePool.query('SELECT region, instance_type, price FROM ondemand_prices'),
            readSavingsEdges(w),
          ]);
        },
      })),
      // Per agent: each agent's stored hours summed by the database (migration 012), the same
      // two raw edges for every agent, the window's switches and the launch times (replica ROI).
      ...[24, 720].map((hours) => ({
        label: `savings per agent, ${hours} h window, a price reported before each read (GET /api/client/savings/agents?hours=${hours}: stored part and live hours held)`,
        reset: () => reportPrice(pick(pools)),
        seeds: '280 ms (dashboard summary)',
        budget: 40_000,
        ours: async () => void (await get(`/api/client/savings/agents?hours=${hours}`, token)),
        peer: async () => {
          const w = savingsWindow(hours);
          const [, , , , , runs] = await Promise.all([
            barePool.query('SELECT id, logical_id FROM agents WHERE client_id = $1 ORDER BY logical_id', [
              client,
            ]),
            // Our statement as the repository builds it, through the bare client.
            (async () => {
              const q = agentSumsQuery(client, w.stored[1] as Date, w.stored[2] as Date).compile(t.db.kysely);
              await barePool.query(q.sql, [...q.parameters]);
            })(),
            barePool.query(
              'SELECT * FROM switches WHERE client_id = $1 AND requested_at >= $2 ORDER BY requested_at DESC LIMIT 2000',
              [client, new Date(w.since)],
            ),
            barePool.query(
              `SELECT launch_duration_seconds FROM instances WHERE client_id = $1 AND launch_duration_seconds IS NOT NULL
               ORDER BY launch_confirmed_at DESC LIMIT 200`,
              [client],
            ),
            barePool.query('SELECT region, instance_type, price FROM ondemand_prices'),
            readSavingsEdges(w),
          ]);
          // The switches that promoted or launched the edges' instances (their replica periods).
          await barePool.query(
            `SELECT to_instance_id, target_launched_by_switch, status, completed_at FROM switches
             WHERE client_id = $1 AND to_instance_id = ANY($2::uuid[])`,
            [client, runs.map((r) => r.id)],
          );
        },
      })),
    ];
    const only = process.env.BENCH_QUERIES_ONLY;
    for (const p of pairs) {
      if (only && !only.split('|').some((o) => p.label.includes(o))) continue;
      const r = await runAbPair(p, p.budget, p.max);
      printAb(r, p.seeds, TARGET);
    }
  } finally {
    await bare.end();
    await barePool.end();
    await t.close();
    process.off('SIGINT', drop);
    process.off('SIGTERM', drop);
  }
}
