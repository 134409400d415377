import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

async function runningOn(tenant: Awaited<ReturnType<TestServer['newTenant']>>, cloudId: string) {
  const agent = await tenant.registerAgent();
  const { instance_id } = await tenant.launch(agent.agent_id);
  await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
    token: agent.agent_token,
    body: { instance_id, cloud_instance_id: cloudId, state: 'running' },
  });
  return { agent, instance_id };
}

const events = (clientId: string) =>
  t.db.kysely
    .selectFrom('events')
    .select(['type', 'data'])
    .where('client_id', '=', clientId)
    .orderBy('seq')
    .execute();

describe('interruption notices', () => {
  it('records a termination notice once, streams it once and then its response, and lists it', async () => {
    const tenant = await t.newTenant();
    const { agent, instance_id } = await runningOn(tenant, 'i-0f00');
    const body = { cloud_instance_id: 'i-0f00', action: 'terminate', time: '2030-01-01T00:02:00Z' };
    const first = await t.request('POST', `/api/agents/${agent.agent_id}/termination-notice`, {
      token: agent.agent_token,
      body,
    });
    const again = await t.request('POST', `/api/agents/${agent.agent_id}/termination-notice`, {
      token: agent.agent_token,
      body,
    });
    expect(first.body.duplicate).toBe(false);
    expect(again.body).toEqual({ interruption_id: first.body.interruption_id, duplicate: true });

    // The notice, then the response to it (the duplicate adds nothing).
    const emergencies = (await events(tenant.clientId)).filter((e) => e.type === 'EMERGENCY_EVENT');
    expect(emergencies).toHaveLength(2);
    expect(emergencies[0]!.data).toMatchObject({
      kind: 'termination_notice',
      instance_id,
      deadline: '2030-01-01T00:02:00.000Z',
      sources: ['agent'],
    });
    expect(emergencies[1]!.data).toMatchObject({
      interruption_id: first.body.interruption_id,
      response: expect.any(String),
    });

    const list = await t.request('GET', '/api/client/interruptions?active=true', { token: tenant.token });
    expect(list.body.interruptions).toHaveLength(1);
    expect(list.body.interruptions[0]).toMatchObject({
      kind: 'termination_notice',
      instance_id,
      action: 'terminate',
    });
    const history = await t.request('GET', `/api/client/instances/${instance_id}/history`, {
      token: tenant.token,
    });
    expect(history.body.events.map((e: any) => e.event_type)).toContain('INTERRUPTION_NOTICE');

    // AWS then takes it: an external termination ends the instance without TERMINATING.
    const gone = await t.request('POST', `/api/agents/${agent.agent_id}/instance-terminated`, {
      token: agent.agent_token,
      body: { instance_id, cloud_instance_id: 'i-0f00', state: 'terminated', source: 'external' },
    });
    expect(gone.body.status).toBe('TERMINATED');
    const last = (
      await t.request('GET', `/api/client/instances/${instance_id}/history`, { token: tenant.token })
    ).body.events.at(-1);
    expect(last).toMatchObject({
      event_type: 'TERMINATE_CONFIRMED',
      source: 'external',
      reason: 'spot_interruption',
    });
    const active = await t.request('GET', '/api/client/interruptions?active=true', { token: tenant.token });
    expect(active.body.interruptions).toHaveLength(0);
  });

  it('records a rebalance recommendation separately from the termination notice', async () => {
    const tenant = await t.newTenant();
    const { agent } = await runningOn(tenant, 'i-0f01');
    const r = await t.request('POST', `/api/agents/${agent.agent_id}/rebalance-notice`, {
      token: agent.agent_token,
      body: { cloud_instance_id: 'i-0f01', notice_time: '2030-01-01T00:00:00Z' },
    });
    expect(r.body.duplicate).toBe(false);
    const list = await t.request('GET', '/api/client/interruptions', { token: tenant.token });
    expect(list.body.interruptions.map((i: any) => i.kind)).toEqual(['rebalance_recommendation']);
  });

  it('refuses notices with bad times or ids and writes nothing', async () => {
    const tenant = await t.newTenant();
    const { agent } = await runningOn(tenant, 'i-0f02');
    for (const body of [
      { cloud_instance_id: 'i-0f02', action: 'terminate', time: 'soon' },
      { cloud_instance_id: 'not-an-id', action: 'terminate', time: '2030-01-01T00:00:00Z' },
      { cloud_instance_id: 'i-0f02', action: 'explode', time: '2030-01-01T00:00:00Z' },
    ]) {
      const r = await t.request('POST', `/api/agents/${agent.agent_id}/termination-notice`, {
        token: agent.agent_token,
        body,
      });
      expect(r.status).toBe(400);
    }
    const list = await t.request('GET', '/api/client/interruptions', { token: tenant.token });
    expect(list.body.interruptions).toHaveLength(0);
  });
});

describe('prices and savings', () => {
  it('stores pricing reports as snapshots (de-duplicated), streams PRICE_UPDATED and serves series', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const now = Date.now();
    const prices = [0, 1, 2].map((h) => ({
      instance_type: 't3.medium',
      availability_zone: 'us-east-1a',
      region: 'us-east-1',
      spot_price: 0.0125 + h * 0.001,
      timestamp: new Date(now - (3 - h) * 3_600_000).toISOString(),
    }));
    const r = await t.request('POST', `/api/agents/${agent.agent_id}/pricing-report`, {
      token: agent.agent_token,
      body: { prices, reporter_role: 'PRIMARY' },
    });
    expect(r.body.accepted).toBe(3);
    const dup = await t.request('POST', `/api/agents/${agent.agent_id}/pricing-report`, {
      token: agent.agent_token,
      body: { prices },
    });
    expect(dup.body.accepted).toBe(0);
    const updates = (await events(tenant.clientId)).filter((e) => e.type === 'PRICE_UPDATED');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.data).toMatchObject({ instance_type: 't3.medium', spot_price: prices[2]!.spot_price });

    const series = await t.request('GET', '/api/client/prices?hours=24', { token: tenant.token });
    expect(series.body.pools).toHaveLength(1);
    expect(series.body.pools[0]).toMatchObject({
      instance_type: 't3.medium',
      availability_zone: 'us-east-1a',
      ondemand_price: 0.0416,
    });
    expect(series.body.pools[0].points.map((p: any) => p.price)).toEqual(prices.map((p) => p.spot_price));
  });

  it('computes savings against on-demand from run time and the price step function', async () => {
    const tenant = await t.newTenant();
    const { agent, instance_id } = await runningOn(tenant, 'i-0f03');
    // Ran for exactly two hours, at a constant spot price.
    const end = new Date();
    const start = new Date(end.getTime() - 2 * 3_600_000);
    await t.db.kysely
      .updateTable('instances')
      .set({ launch_confirmed_at: start })
      .where('id', '=', instance_id)
      .execute();
    await t.request('POST', `/api/agents/${agent.agent_id}/pricing-report`, {
      token: agent.agent_token,
      body: {
        prices: [
          {
            instance_type: 't3.medium',
            availability_zone: 'us-east-1a',
            spot_price: 0.0125,
            timestamp: new Date(start.getTime() - 60_000).toISOString(),
          },
        ],
      },
    });
    const s = await t.request('GET', '/api/client/savings', { token: tenant.token });
    expect(s.body.total_ondemand_cost).toBeCloseTo(0.0416 * 2, 3);
    expect(s.body.total_spot_cost).toBeCloseTo(0.0125 * 2, 3);
    expect(s.body.total_savings).toBeCloseTo((0.0416 - 0.0125) * 2, 3);
    expect(s.body.savings_pct).toBeCloseTo(69.95, 0);
    expect(s.body.hourly.at(-1).cumulative_savings).toBeCloseTo(s.body.total_savings, 5);
  });
});
