import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * The scheduler runs auto-switch at once when a pricing report changes a pool's price (the
 * interval here is a day, so only that hook can decide), and not for a report that changes
 * nothing. Real clock, jobs running.
 */
let t: TestServer;
/** Report timestamps: real time (the server's clock), so a change reported now has just begun. */
let clock = Date.now() - 60_000;
beforeAll(async () => {
  t = await startTestServer({ jobs: true, env: { DECISION_INTERVAL_SECONDS: '86400' } });
});
afterAll(async () => {
  await t?.close();
});
const toNow = () => {
  clock = Date.now();
};
type Tenant = Awaited<ReturnType<TestServer['newTenant']>>;
interface Cmd {
  id: string;
  command_type: string;
  priority: number;
  metadata: Record<string, unknown>;
}
let cloudSeq = 0x9000;
const cloud = () => `i-0${(cloudSeq++).toString(16)}`;
const poll = async (agentId: string, token: string): Promise<Cmd[]> =>
  (await t.request('GET', `/api/agents/${agentId}/pending-commands`, { token })).body.commands;
const POOLS = ['us-east-1a', 'us-east-1b', 'us-east-1c'].map((az) => ({
  instance_type: 'c5.large',
  availability_zone: az,
}));

async function workload(tenant: Tenant) {
  const first = await tenant.registerAgent();
  const agentId = first.agent_id;
  await tenant.launch(agentId, { instance_type: 'c5.large', availability_zone: 'us-east-1a' });
  const [launch] = await poll(agentId, first.agent_token);
  const joined = await t.request('POST', '/api/agents/join', {
    body: { join_token: launch!.metadata.join_token, cloud_instance_id: cloud() },
  });
  expect(joined.status).toBe(200);
  const primary = joined.body as { agent_token: string; instance_id: string };
  const cfg = await t.request('GET', `/api/client/agents/${agentId}/config`, { token: tenant.token });
  const put = await t.request('PUT', `/api/client/agents/${agentId}/config`, {
    token: tenant.token,
    body: {
      mode: 'auto_switch',
      candidate_pools: POOLS,
      min_savings_percent: 10,
      on_rebalance: 'mark',
      on_demand_fallback: false,
      version: cfg.body.version,
    },
  });
  expect(put.status).toBe(200);
  const report = async (prices: Record<string, number>) => {
    const r = await t.request('POST', `/api/agents/${agentId}/pricing-report`, {
      token: primary.agent_token,
      body: {
        prices: Object.entries(prices).map(([az, spot_price]) => ({
          instance_type: 'c5.large',
          availability_zone: az,
          spot_price,
          timestamp: new Date(clock).toISOString(),
        })),
      },
    });
    expect(r.status).toBe(200);
  };
  await report({ 'us-east-1a': 0.05, 'us-east-1b': 0.05, 'us-east-1c': 0.06 });
  return { agentId, primary, report };
}

const decisions = async (tenant: Tenant, agentId: string) =>
  (await t.request('GET', `/api/client/decisions?agent_id=${agentId}&limit=100`, { token: tenant.token }))
    .body.decisions as Array<{
    decision_id: string;
    policy: string;
    valid: boolean;
    output: {
      action: string;
      target: unknown;
      reason: string;
      urgent: boolean;
      expected_saving_per_hour: number;
    };
    input: { candidates: Array<{ availability_zone: string; history: unknown[] }> };
    switch_id: string | null;
    latency_ms: number;
  }>;
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('auto-switch on a price change', () => {
  it('a changed price is decided on at once; the same price again is not', async () => {
    const tenant = await t.newTenant();
    const { agentId, report } = await workload(tenant);
    // The first prices of its pools are a change: decided on once.
    const count = (n: number) => async () => {
      const list = await decisions(tenant, agentId);
      return list.length >= n ? list : null;
    };
    expect(await waitFor(count(1))).toHaveLength(1);
    toNow();
    await report({ 'us-east-1b': 0.03 });
    const second = await waitFor(count(2));
    expect(second).toHaveLength(2);
    expect(second[0]?.output).toMatchObject({ action: 'stay' });
    expect(second[0]?.output.reason).toMatch(/us-east-1b/);
    toNow();
    await report({ 'us-east-1b': 0.03, 'us-east-1c': 0.06 });
    await settle();
    expect(await decisions(tenant, agentId)).toHaveLength(2);
  });
});

async function waitFor<T>(fn: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 50));
  }
}
