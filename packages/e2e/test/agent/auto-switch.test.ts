import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instance } from '../support/fleet.ts';
import { eventually, Stack, type Tenant } from '../support/stack.ts';

/**
 * auto_switch with real processes: the simulator replays a small price trace (spotdata CSV
 * format, anchored at its start), the agent reports what DescribeSpotPriceHistory shows, and
 * the server's decision engine acts on it. A brief dip in one candidate pool moves nothing; a
 * lasting drop in another leads to a decision to switch, and the switch (trigger `decision`)
 * moves the workload there — launched, joined by its own agent (cloud-init), promoted.
 *
 * Speed 60: one real second is one simulated minute. Trace, in simulated minutes from the start:
 * every pool at 0.05; us-east-1b dips to 0.03 at 30 and is back at 34; us-east-1c drops to 0.03
 * at 60 for good. The engine wants a saving confirmed for 10 minutes (DECISION_CONFIRM_SECONDS).
 */
const SPEED = 60;
interface Decision {
  decision_id: string;
  valid: boolean;
  output: { action: string; reason: string; target: { availability_zone: string } | null };
  switch_id: string | null;
  created_at: string;
}
interface Switch {
  switch_id: string;
  trigger: string;
  status: string;
  to_instance_id: string | null;
  to_pool: { instance_type: string; availability_zone: string | null };
}

describe('auto-switch with real agents and a price trace', () => {
  let stack: Stack;
  let tenant: Tenant;
  let agentId: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'spot-e2e-trace-'));
    const t0 = Date.parse('2024-03-01T00:00:00Z');
    const row = (minutes: number, az: string, price: number) =>
      `${new Date(t0 + minutes * 60_000).toISOString()},us-east-1,${az},c5.large,Linux/UNIX,${price}`;
    const trace = path.join(dir, 'trace.csv');
    await writeFile(
      trace,
      [
        'timestamp_iso,region,az,instance_type,product_description,spot_price_usd',
        row(0, 'us-east-1a', 0.05),
        row(0, 'us-east-1b', 0.05),
        row(0, 'us-east-1c', 0.05),
        row(30, 'us-east-1b', 0.03),
        row(34, 'us-east-1b', 0.05),
        row(60, 'us-east-1c', 0.03),
        row(600, 'us-east-1a', 0.05),
      ].join('\n'),
    );
    stack = await Stack.start({
      speed: SPEED,
      simArgs: ['--prices', trace],
      serverEnv: {
        LAUNCH_TIMEOUT_SECONDS: '3600',
        SWITCH_TIMEOUT_SECONDS: '7200',
        AGENT_MISSED_HEARTBEATS: '20',
        DECISION_CONFIRM_SECONDS: '600',
      },
    });
    tenant = await stack.createTenant();
    const agent = await stack.startAgent(tenant, {
      logicalId: 'web-auto',
      env: { SPOT_POOLS: 'c5.large:us-east-1b,c5.large:us-east-1c' },
    });
    agentId = agent.agentId;
    stack.startCloudInit();
    const cfg = await stack.api('GET', `/api/client/agents/${agentId}/config`, tenant.token);
    await stack.api('PUT', `/api/client/agents/${agentId}/config`, tenant.token, {
      mode: 'auto_switch',
      candidate_pools: ['us-east-1a', 'us-east-1b', 'us-east-1c'].map((az) => ({
        instance_type: 'c5.large',
        availability_zone: az,
      })),
      min_savings_percent: 10,
      on_rebalance: 'mark',
      on_demand_fallback: false,
      version: cfg.version,
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a brief dip moves nothing; a lasting drop leads to a decision and a switch with trigger decision', async () => {
    const decisions = async () =>
      (await stack.api('GET', `/api/client/decisions?agent_id=${agentId}&limit=500`, tenant.token))
        .decisions as Decision[];
    const switches = async () =>
      (await stack.api('GET', `/api/client/switches?agent_id=${agentId}`, tenant.token)).switches as Switch[];

    const sw = await eventually(async () => (await switches())[0], 180_000, 500);
    expect(sw).toMatchObject({
      trigger: 'decision',
      to_pool: { instance_type: 'c5.large', availability_zone: 'us-east-1c' },
    });
    expect(await switches()).toHaveLength(1);

    const list = await decisions();
    const ordering = list.find((d) => d.switch_id === sw.switch_id);
    expect(ordering?.output).toMatchObject({ action: 'switch', target: { availability_zone: 'us-east-1c' } });
    // Every decision before it stayed, the dip in us-east-1b among them (seen, not confirmed).
    const before = list.filter((d) => d.created_at < ordering!.created_at);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((d) => d.valid && d.output.action === 'stay')).toBe(true);
    expect(before.some((d) => d.output.reason.includes('us-east-1b'))).toBe(true);

    // The switch completes: the new primary serves in us-east-1c, joined by its own agent.
    const done = await eventually(
      async () => (await switches()).find((s) => s.switch_id === sw.switch_id && s.status !== 'IN_PROGRESS'),
      120_000,
      500,
    );
    expect(done.status).toBe('COMPLETED');
    expect(await instance(stack, tenant, done.to_instance_id!)).toMatchObject({
      role: 'PRIMARY',
      status: 'RUNNING',
      availability_zone: 'us-east-1c',
    });
  }, 360_000);
});
