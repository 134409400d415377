import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchesTable } from '../../src/db/schema.ts';
import { confirmedRun, fixedClock, spotPrice } from '../support/savings-fleet.ts';
import { startTestServer, type Tenant, type TestServer } from '../support/server.ts';

// One fixed clock: every window below is measured from it.
const { now: NOW, ago } = fixedClock();
const OD = 0.0416; // t3.medium in us-east-1 (the default catalogue)

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ now: () => NOW });
});
afterAll(async () => {
  await t?.close();
});

const run = (
  tenant: Tenant,
  agent: { agent_id: string; agent_token: string },
  opts: { az: string; region?: string; from: Date; role?: 'PRIMARY' | 'REPLICA' },
) => confirmedRun(t, tenant, agent, opts);
const price = (tenant: Tenant, agentId: string, az: string, at: Date, spot: number) =>
  spotPrice(t, tenant, agentId, az, at, spot);

/**
 * Agent A: P (us-east-1a) since 3 h ago, a ready replica promoted into service 1 h ago by a
 * termination-notice switch (2 s of downtime); R, a standing replica (us-east-1b) since 2 h ago.
 * Agent B: U in eu-west-1, a region the on-demand catalogue does not know, since 1 h ago.
 */
async function fleet() {
  const tenant = await t.newTenant();
  const a = await tenant.registerAgent('web-a');
  const b = await tenant.registerAgent('web-b');
  const p = await run(tenant, a, { az: 'us-east-1a', from: ago(3) });
  const r = await run(tenant, a, { az: 'us-east-1b', from: ago(2), role: 'REPLICA' });
  await run(tenant, b, { az: 'eu-west-1a', region: 'eu-west-1', from: ago(1) });
  await price(tenant, a.agent_id, 'us-east-1a', ago(20), 0.5); // superseded before the window
  await price(tenant, a.agent_id, 'us-east-1a', ago(10), 0.02);
  await price(tenant, a.agent_id, 'us-east-1a', ago(1.5), 0.015);
  await price(tenant, a.agent_id, 'us-east-1b', ago(2), 0.01);
  await price(tenant, b.agent_id, 'eu-west-1a', ago(6), 0.03);
  const sw = (
    over: Partial<Insertable<SwitchesTable>> & { requested_at: Date },
  ): Insertable<SwitchesTable> => ({
    id: randomUUID(),
    client_id: tenant.clientId,
    agent_id: a.agent_id,
    trigger: 'termination_notice',
    status: 'COMPLETED',
    phase: 'completed',
    to_instance_type: 't3.medium',
    to_availability_zone: 'us-east-1a',
    to_market: 'spot',
    from_instance_type: 't3.medium',
    from_availability_zone: 'us-east-1c',
    from_market: 'spot',
    target_launched_by_switch: false,
    ...over,
  });
  await t.db.kysely
    .insertInto('switches')
    .values([
      sw({
        to_instance_id: p,
        from_price: 0.05,
        to_price: 0.02,
        requested_at: ago(1),
        completed_at: ago(1),
        downtime_seconds: 2,
      }),
      // Outside a 5-hour window: neither an impact nor a promotion there.
      sw({ trigger: 'manual', from_price: 0.1, to_price: 0.2, requested_at: ago(30), completed_at: ago(30) }),
    ])
    .execute();
  return { tenant, a, b, p, r };
}

describe('GET /api/client/savings (fleet)', () => {
  it('sums spend, on-demand and savings over the window, with the current rate and projections', async () => {
    const { tenant } = await fleet();
    const s = await t.request('GET', '/api/client/savings?hours=5', { token: tenant.token });
    expect(s.status).toBe(200);
    // P: 1.5 h at 0.02 then 1.5 h at 0.015; R: 2 h at 0.01; U: 1 h at 0.03 (not compared).
    const spend = 0.0525 + 0.02 + 0.03;
    const od = 3 * OD + 2 * OD;
    expect(s.body).toMatchObject({ currency: 'USD', window_hours: 5, window_start: ago(5).toISOString() });
    expect(s.body.total_spot_cost).toBeCloseTo(spend, 6);
    expect(s.body.total_ondemand_cost).toBeCloseTo(od, 6);
    expect(s.body.total_savings).toBeCloseTo(od - 0.0725, 6);
    expect(s.body.current_spend_per_hour).toBeCloseTo(0.015 + 0.01 + 0.03, 6);
    const rate = OD - 0.015 + (OD - 0.01);
    expect(s.body.current_saving_per_hour).toBeCloseTo(rate, 6);
    expect(s.body.monthly_projection).toBeCloseTo(rate * 730, 4);
    expect(s.body.yearly_projection).toBeCloseTo(rate * 8760, 3);
    expect(s.body.unknown_ondemand).toEqual([
      { instance_type: 't3.medium', region: 'eu-west-1', market: 'spot', hours: 1, spend: 0.03 },
    ]);
    expect(s.body.unknown_spot_price).toEqual([]);
    expect(s.body.hourly.at(-1).cumulative_savings).toBeCloseTo(s.body.total_savings, 5);
    const unknownSpend = s.body.hourly.reduce((x: number, h: any) => x + h.unknown_ondemand_spend, 0);
    expect(unknownSpend).toBeCloseTo(0.03, 6);
  });

  it('counts only the part of each run inside the window', async () => {
    const { tenant } = await fleet();
    const s = await t.request('GET', '/api/client/savings?hours=1', { token: tenant.token });
    expect(s.body.window_start).toBe(ago(1).toISOString());
    expect(s.body.total_spot_cost).toBeCloseTo(0.015 + 0.01 + 0.03, 6);
    expect(s.body.total_ondemand_cost).toBeCloseTo(2 * OD, 6);
    const all = await t.request('GET', '/api/client/savings', { token: tenant.token });
    expect(all.body.window_hours).toBe(720);
  });

  it('lists a spot pool without any reported price instead of leaving it out', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent();
    await run(tenant, a, { az: 'us-east-1d', from: ago(2) });
    const s = await t.request('GET', '/api/client/savings?hours=24', { token: tenant.token });
    expect(s.body.unknown_spot_price).toEqual([
      { instance_type: 't3.medium', availability_zone: 'us-east-1d', hours: 2 },
    ]);
    expect(s.body.total_savings).toBe(0);
  });

  it('answers 400 for a bad window and changes nothing', async () => {
    const tenant = await t.newTenant();
    for (const q of ['hours=0', 'hours=2161', 'hours=abc', 'hours=1.5']) {
      const r = await t.request('GET', `/api/client/savings?${q}`, { token: tenant.token });
      expect(r.status, q).toBe(400);
    }
  });
});

describe('per-agent savings and replica ROI', () => {
  it('lists every agent with its figures and its replicas against the downtime they avoided', async () => {
    const { tenant, a, b } = await fleet();
    const r = await t.request('GET', '/api/client/savings/agents?hours=5&downtime_usd_per_hour=1', {
      token: tenant.token,
    });
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.body.agents.map((x: any) => [x.agent_id, x]));
    const ra = byId[a.agent_id];
    expect(ra.logical_id).toBe('web-a');
    expect(ra.total_savings).toBeCloseTo(5 * OD - 0.0725, 6);
    expect(ra.unknown_ondemand).toEqual([]);
    // Replicas billed: P until its promotion (1.5 h at 0.02, 0.5 h at 0.015) and R (2 h at 0.01).
    const cost = 0.0375 + 0.02;
    // One promotion, 2 s of downtime against a 90 s boot: 88 s avoided at $1 per hour.
    expect(ra.replica_roi).toMatchObject({
      promotions: 1,
      promotions_unmeasured: 0,
      boot_seconds: 90,
      downtime_avoided_seconds: 88,
      downtime_usd_per_hour: 1,
    });
    expect(ra.replica_roi.replica_cost).toBeCloseTo(cost, 6);
    expect(ra.replica_roi.value_of_downtime_avoided).toBeCloseTo(88 / 3600, 6);
    expect(ra.replica_roi.roi).toBeCloseTo((88 / 3600 - cost) / cost, 3);
    expect(ra.replica_roi.break_even_usd_per_hour).toBeCloseTo(cost / (88 / 3600), 4);
    const rb = byId[b.agent_id];
    expect(rb.total_spot_cost).toBeCloseTo(0.03, 6);
    expect(rb.total_savings).toBe(0);
    expect(rb.unknown_ondemand).toHaveLength(1);
    expect(rb.replica_roi).toMatchObject({ replica_cost: 0, promotions: 0, roi: null });
  });

  it('values downtime at the server default when the request gives no price', async () => {
    const { tenant, a } = await fleet();
    const r = await t.request('GET', `/api/client/agents/${a.agent_id}/savings?hours=5`, {
      token: tenant.token,
    });
    expect(r.body.replica_roi.downtime_usd_per_hour).toBe(100);
    expect(r.body.replica_roi.value_of_downtime_avoided).toBeCloseTo((88 / 3600) * 100, 6);
  });

  it("shows one agent's hourly savings and each switch's impact in the window", async () => {
    const { tenant, a } = await fleet();
    const r = await t.request('GET', `/api/client/agents/${a.agent_id}/savings?hours=5`, {
      token: tenant.token,
    });
    expect(r.status).toBe(200);
    expect(r.body.hourly.length).toBeGreaterThan(0);
    expect(r.body.switches).toHaveLength(1);
    expect(r.body.switches[0]).toMatchObject({
      trigger: 'termination_notice',
      price_before: 0.05,
      price_after: 0.02,
      saving_per_hour: 0.03,
      saving_pct: 60,
      monthly_projection: 21.9,
      to: { instance_type: 't3.medium', availability_zone: 'us-east-1a', market: 'spot' },
    });
    const wide = await t.request('GET', `/api/client/agents/${a.agent_id}/savings?hours=48`, {
      token: tenant.token,
    });
    expect(wide.body.switches.map((s: any) => s.saving_per_hour)).toEqual([0.03, -0.1]);
  });

  it('answers 404 for an unknown, malformed or foreign agent and 400 for bad parameters', async () => {
    const { tenant, a } = await fleet();
    const other = await t.newTenant();
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const r = await t.request('GET', `/api/client/agents/${id}/savings`, { token: tenant.token });
      expect(r.status, id).toBe(404);
    }
    const foreign = await t.request('GET', `/api/client/agents/${a.agent_id}/savings`, {
      token: other.token,
    });
    expect(foreign.status).toBe(404);
    for (const q of ['downtime_usd_per_hour=-1', 'downtime_usd_per_hour=x', 'hours=0']) {
      const r1 = await t.request('GET', `/api/client/savings/agents?${q}`, { token: tenant.token });
      expect(r1.status, q).toBe(400);
      const r2 = await t.request('GET', `/api/client/agents/${a.agent_id}/savings?${q}`, {
        token: tenant.token,
      });
      expect(r2.status, q).toBe(400);
    }
    const anon = await t.request('GET', '/api/client/savings/agents');
    expect(anon.status).toBe(401);
  });
});
