import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { ADMIN_TOKEN, startTestServer, type Tenant, type TestServer } from '../support/server.ts';

const H = 3_600_000;
let now = new Date('2030-03-10T12:00:00Z');
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ now: () => now });
});
afterAll(async () => {
  await t?.close();
});

/** An agent whose token is bound to a RUNNING instance of the given role (as a joined process's is). */
async function agentOn(tenant: Tenant, role: 'PRIMARY' | 'REPLICA', cloudId: string) {
  const agent = await tenant.registerAgent();
  const { instance_id } = await tenant.launch(agent.agent_id);
  // Bound before the token's first use (resolved principals are cached for a while).
  await t.db.kysely
    .updateTable('agent_tokens')
    .set({ instance_id })
    .where('agent_id', '=', agent.agent_id)
    .execute();
  const launched = await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
    token: agent.agent_token,
    body: { instance_id, cloud_instance_id: cloudId, state: 'running' },
  });
  expect(launched.status).toBe(200);
  await t.db.kysely.updateTable('instances').set({ role }).where('id', '=', instance_id).execute();
  return { agent, instance_id };
}

const report = (
  a: { agent_id: string; agent_token: string },
  prices: Array<{ type?: string; az?: string; price: number; at: Date }>,
  reporter_role?: 'PRIMARY' | 'REPLICA',
) =>
  t.request('POST', `/api/agents/${a.agent_id}/pricing-report`, {
    token: a.agent_token,
    body: {
      prices: prices.map((p) => ({
        instance_type: p.type ?? 'm5.large',
        availability_zone: p.az ?? 'us-east-1a',
        region: 'us-east-1',
        spot_price: p.price,
        timestamp: p.at.toISOString(),
      })),
      ...(reporter_role ? { reporter_role } : {}),
    },
  });

const staged = (clientId: string, type = 'm5.large') =>
  t.db.kysely
    .selectFrom('price_snapshots')
    .select(['agent_id', 'reporter_role', 'spot_price', 'observed_at'])
    .where('client_id', '=', clientId)
    .where('instance_type', '=', type)
    .orderBy('observed_at')
    .execute();

const consolidated = (clientId: string, type = 'm5.large', az = 'us-east-1a') =>
  t.db.kysely
    .selectFrom('price_consolidated')
    .select(['at', 'price', 'flag'])
    .where('client_id', '=', clientId)
    .where('instance_type', '=', type)
    .where('availability_zone', '=', az)
    .orderBy('at')
    .execute();

describe('staging: one row per pool and time across agents, PRIMARY over REPLICA', () => {
  it('records the role of the reporting process instance (not the one the report claims), and a PRIMARY report replaces a REPLICA one', async () => {
    const tenant = await t.newTenant();
    const replica = await agentOn(tenant, 'REPLICA', 'i-0aa01');
    const primary = await agentOn(tenant, 'PRIMARY', 'i-0bb02');
    const at = new Date(now.getTime() - H);

    // The replica claims PRIMARY; its token is bound to a REPLICA instance, so it is recorded as one.
    expect((await report(replica.agent, [{ price: 0.02, at }], 'PRIMARY')).body.accepted).toBe(1);
    let rows = await staged(tenant.clientId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      agent_id: replica.agent.agent_id,
      reporter_role: 'REPLICA',
      spot_price: 0.02,
    });

    // The primary's report for the same pool and time wins.
    expect((await report(primary.agent, [{ price: 0.03, at }])).body.accepted).toBe(1);
    rows = await staged(tenant.clientId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      agent_id: primary.agent.agent_id,
      reporter_role: 'PRIMARY',
      spot_price: 0.03,
    });

    // A replica's later report of the same point changes nothing; nor does the primary repeating itself.
    expect((await report(replica.agent, [{ price: 0.04, at }])).body.accepted).toBe(0);
    expect((await report(primary.agent, [{ price: 0.03, at }])).body.accepted).toBe(0);
    rows = await staged(tenant.clientId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reporter_role: 'PRIMARY', spot_price: 0.03 });
  });

  it('de-duplicates the same point reported by two agents, and a point repeated inside one report', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent();
    const b = await tenant.registerAgent();
    const at = new Date(now.getTime() - 2 * H);
    expect(
      (
        await report(a, [
          { price: 0.05, at },
          { price: 0.05, at },
        ])
      ).body.accepted,
    ).toBe(1);
    expect((await report(b, [{ price: 0.05, at }])).body.accepted).toBe(0);
    const rows = await staged(tenant.clientId);
    expect(rows).toHaveLength(1);
    // An unbound token: the role the report states is all there is (none here).
    expect(rows[0]!.reporter_role).toBeNull();
    expect(rows[0]!.agent_id).toBe(a.agent_id);
  });
});

describe('consolidation', () => {
  it('builds the step-function series per pool with flags, interpolates gaps, and records the run with its counts', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent();
    const base = now.getTime() - 60 * H;
    await report(a, [
      { price: 0.01, at: new Date(base) },
      { price: 0.01, at: new Date(base + H) },
      { price: 0.02, at: new Date(base + 2 * H) },
      // 30 h without a point: a gap (PRICE_GAP_SECONDS defaults to a day).
      { price: 0.05, at: new Date(base + 32 * H) },
      { price: 0.04, at: new Date(base + 33 * H) },
      { price: 0.04, az: 'us-east-1b', at: new Date(base) },
    ]);
    const res = await t.request('POST', '/api/admin/pricing/consolidate', { token: ADMIN_TOKEN });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ trigger: 'admin', error: null, backfilled: 0 });
    expect(res.body.finished_at).toEqual(expect.any(String));

    const series = await consolidated(tenant.clientId);
    const flags = series.map((p) => p.flag);
    expect(series[0]).toMatchObject({ price: 0.01, flag: 'reported' });
    expect(series[1]).toMatchObject({ price: 0.02, flag: 'reported' });
    expect(new Date(series[1]!.at).getTime()).toBe(base + 2 * H);
    expect(flags.filter((f) => f === 'interpolated')).toHaveLength(29);
    expect(series[2]).toMatchObject({ price: 0.021, flag: 'interpolated' });
    expect(series.slice(-2)).toMatchObject([
      { price: 0.05, flag: 'reported' },
      { price: 0.04, flag: 'reported' },
    ]);
    expect(await consolidated(tenant.clientId, 'm5.large', 'us-east-1b')).toHaveLength(1);

    // Counts cover every tenant's pools; this tenant's share is at least what it staged.
    expect(res.body.pools).toBeGreaterThanOrEqual(2);
    expect(res.body.points_read).toBeGreaterThanOrEqual(6);
    expect(res.body.gaps_found).toBeGreaterThanOrEqual(1);
    expect(res.body.interpolated).toBeGreaterThanOrEqual(29);
    expect(res.body.points_written).toBeGreaterThanOrEqual(series.length + 1);

    // Running again rebuilds the same series (no duplicates).
    const again = await t.request('POST', '/api/admin/pricing/consolidate?window_hours=168', {
      token: ADMIN_TOKEN,
    });
    expect(again.status).toBe(200);
    expect(await consolidated(tenant.clientId)).toEqual(series);

    const runs = await t.request('GET', '/api/admin/pricing/runs?limit=2', { token: ADMIN_TOKEN });
    expect(runs.status).toBe(200);
    expect(runs.body.runs.map((r: { run_id: string }) => r.run_id)).toEqual([
      again.body.run_id,
      res.body.run_id,
    ]);
  });

  it('the window only rebuilds what it covers; the scheduled job records its run as "schedule"', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent();
    await report(a, [{ type: 'c5.large', price: 0.03, at: new Date(now.getTime() - 3 * H) }]);
    const narrow = await t.request('POST', '/api/admin/pricing/consolidate?window_hours=1', {
      token: ADMIN_TOKEN,
    });
    expect(narrow.status).toBe(200);
    expect(await consolidated(tenant.clientId, 'c5.large')).toHaveLength(0);

    expect(await runJobOnce('price-consolidation', t.server.jobDeps)).toBeGreaterThanOrEqual(1);
    expect(await consolidated(tenant.clientId, 'c5.large')).toMatchObject([
      { price: 0.03, flag: 'reported' },
    ]);
    const runs = await t.request('GET', '/api/admin/pricing/runs?limit=1', { token: ADMIN_TOKEN });
    expect(runs.body.runs[0]).toMatchObject({ trigger: 'schedule', error: null });
  });

  it('the admin routes take the admin token only and refuse bad input with 400, changing nothing', async () => {
    const tenant = await t.newTenant();
    const before = (await t.db.kysely.selectFrom('pricing_runs').select('id').execute()).length;
    expect((await t.request('POST', '/api/admin/pricing/consolidate')).status).toBe(401);
    expect((await t.request('POST', '/api/admin/pricing/consolidate', { token: tenant.token })).status).toBe(
      403,
    );
    expect((await t.request('GET', '/api/admin/pricing/runs', { token: tenant.token })).status).toBe(403);
    for (const q of ['window_hours=0', 'window_hours=169', 'window_hours=abc', 'window_hours=1.5']) {
      const r = await t.request('POST', `/api/admin/pricing/consolidate?${q}`, { token: ADMIN_TOKEN });
      expect(r.status, q).toBe(400);
      expect(r.body.error.code, q).toBe('VALIDATION_ERROR');
    }
    expect((await t.request('GET', '/api/admin/pricing/runs?limit=0', { token: ADMIN_TOKEN })).status).toBe(
      400,
    );
    expect((await t.request('GET', '/api/admin/pricing/runs?limit=101', { token: ADMIN_TOKEN })).status).toBe(
      400,
    );
    expect((await t.db.kysely.selectFrom('pricing_runs').select('id').execute()).length).toBe(before);
  });

  it('retention deletes raw staged prices older than 7 days and keeps their consolidated points', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent();
    await report(a, [
      { type: 'r5.large', price: 0.031, at: new Date(now.getTime() - 6 * 24 * H) },
      { type: 'r5.large', price: 0.032, at: new Date(now.getTime() - 2 * H) },
    ]);
    expect((await t.request('POST', '/api/admin/pricing/consolidate', { token: ADMIN_TOKEN })).status).toBe(
      200,
    );
    const kept = await consolidated(tenant.clientId, 'r5.large');
    expect(kept.map((p) => p.flag)).toContain('reported');

    now = new Date(now.getTime() + 2 * 24 * H);
    try {
      await runJobOnce('retention', t.server.jobDeps);
      expect((await staged(tenant.clientId, 'r5.large')).map((r) => r.spot_price)).toEqual([0.032]);
      expect(await consolidated(tenant.clientId, 'r5.large')).toEqual(kept);
      // A run after retention rebuilds only what staging still holds: the older points stay.
      await t.request('POST', '/api/admin/pricing/consolidate', { token: ADMIN_TOKEN });
      const after = await consolidated(tenant.clientId, 'r5.large');
      expect(after[0]).toEqual(kept[0]);
      expect(after[after.length - 1]).toMatchObject({ price: 0.032, flag: 'reported' });
    } finally {
      now = new Date(now.getTime() - 2 * 24 * H);
    }
  });
});
