import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { findViolations } from '../support/invariants.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/**
 * Interruption responses through the API, the agents' side played by hand: a notice on a
 * primary promotes a ready replica or launches a replacement elsewhere, the interrupted pool
 * is avoided, on-demand is the last resort and spot comes back, rebalance pre-warming is
 * rate-limited, and EventBridge is a second source deduplicated with the agent's. The real
 * processes do the same in packages/e2e.
 */
let t: TestServer;
let clock = Date.parse('2026-07-01T12:00:00.000Z');
beforeAll(async () => {
  t = await startTestServer({
    now: () => new Date(clock),
    env: {
      REBALANCE_REPLICAS_PER_MINUTE: '2',
      RETURN_TO_SPOT_MIN_SECONDS: '600',
      UNAVAILABLE_POOL_TTL_SECONDS: '180',
    },
  });
});
afterAll(async () => {
  await t?.close();
});
const advance = (s: number) => {
  clock += s * 1000;
};
type Tenant = Awaited<ReturnType<TestServer['newTenant']>>;
interface Cmd {
  id: string;
  command_type: string;
  priority: number;
  metadata: Record<string, unknown>;
}
let cloudSeq = 0x5000;
const cloud = () => `i-0${(cloudSeq++).toString(16)}`;

async function poll(agentId: string, token: string): Promise<Cmd[]> {
  return (await t.request('GET', `/api/agents/${agentId}/pending-commands`, { token })).body.commands;
}
async function join(c: Cmd) {
  const r = await t.request('POST', '/api/agents/join', {
    body: { join_token: c.metadata.join_token, cloud_instance_id: cloud() },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { agent_token: string; instance_id: string };
}
const POOLS = [
  { instance_type: 'c5.large', availability_zone: 'us-east-1a' },
  { instance_type: 'c5.large', availability_zone: 'us-east-1b' },
  { instance_type: 'c5.large', availability_zone: 'us-east-1c' },
];

/** A workload: primary in us-east-1a with its own agent, config set, prices reported. */
async function workload(tenant: Tenant, config: Record<string, unknown> = {}) {
  const first = await tenant.registerAgent();
  const agentId = first.agent_id;
  await tenant.launch(agentId, { instance_type: 'c5.large', availability_zone: 'us-east-1a' });
  const [launch] = await poll(agentId, first.agent_token);
  const primary = await join(launch!);
  const cfg = await t.request('GET', `/api/client/agents/${agentId}/config`, { token: tenant.token });
  await t.request('PUT', `/api/client/agents/${agentId}/config`, {
    token: tenant.token,
    body: {
      mode: 'observe',
      candidate_pools: POOLS,
      min_savings_percent: 10,
      on_rebalance: 'mark',
      on_demand_fallback: false,
      version: cfg.body.version,
      ...config,
    },
  });
  await t.request('POST', `/api/agents/${agentId}/pricing-report`, {
    token: primary.agent_token,
    body: {
      prices: [
        {
          instance_type: 'c5.large',
          availability_zone: 'us-east-1a',
          spot_price: 0.03,
          timestamp: new Date(clock).toISOString(),
        },
        {
          instance_type: 'c5.large',
          availability_zone: 'us-east-1b',
          spot_price: 0.04,
          timestamp: new Date(clock).toISOString(),
        },
        {
          instance_type: 'c5.large',
          availability_zone: 'us-east-1c',
          spot_price: 0.035,
          timestamp: new Date(clock).toISOString(),
        },
      ],
    },
  });
  return { agentId, primary, cloudId: `i-0${(cloudSeq - 1).toString(16)}` };
}
const notice = (agentId: string, token: string, cloudId: string, secondsLeft = 120) =>
  t.request('POST', `/api/agents/${agentId}/termination-notice`, {
    token,
    body: {
      cloud_instance_id: cloudId,
      action: 'terminate',
      time: new Date(clock + secondsLeft * 1000).toISOString(),
    },
  });
const interruptions = async (tenant: Tenant) =>
  (await t.request('GET', '/api/client/interruptions', { token: tenant.token })).body.interruptions as Array<
    Record<string, unknown>
  >;
const switches = async (tenant: Tenant, agentId: string) =>
  (await t.request('GET', `/api/client/switches?agent_id=${agentId}`, { token: tenant.token })).body
    .switches as Array<Record<string, unknown>>;

describe('termination notice on a primary', () => {
  it('promotes a ready replica at once (priority 100) and ends in_time', async () => {
    const tenant = await t.newTenant();
    const { agentId, primary, cloudId } = await workload(tenant);
    await t.request('POST', `/api/client/agents/${agentId}/replicas`, {
      token: tenant.token,
      body: POOLS[1],
    });
    const [rl] = await poll(agentId, primary.agent_token);
    const replica = await join(rl!);

    const r = await notice(agentId, primary.agent_token, cloudId);
    expect(r.status).toBe(200);
    const [promote] = await poll(agentId, replica.agent_token);
    expect(promote).toMatchObject({ command_type: 'PROMOTE_REPLICA', priority: 100 });
    const [intr] = await interruptions(tenant);
    expect(intr).toMatchObject({ response: 'promoted_replica', outcome: null, sources: ['agent'] });

    advance(2);
    await t.request('POST', `/api/agents/${agentId}/commands/${promote!.id}/result`, {
      token: replica.agent_token,
      body: { success: true },
    });
    const [done] = await interruptions(tenant);
    expect(done).toMatchObject({ outcome: 'in_time', serving_after_seconds: 2, switch_id: intr!.switch_id });
    const [sw] = await switches(tenant, agentId);
    expect(sw).toMatchObject({
      trigger: 'termination_notice',
      status: 'COMPLETED',
      to_instance_id: replica.instance_id,
    });
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
  });

  it('without a replica launches in the cheapest other pool, never the interrupted one, which others avoid too', async () => {
    const tenant = await t.newTenant();
    const { agentId, primary, cloudId } = await workload(tenant);
    await notice(agentId, primary.agent_token, cloudId);
    const [launch] = await poll(agentId, primary.agent_token);
    expect(launch).toMatchObject({ command_type: 'LAUNCH_INSTANCE', priority: 100 });
    expect(launch?.metadata).toMatchObject({ instance_type: 'c5.large', availability_zone: 'us-east-1c' });
    expect((await interruptions(tenant))[0]).toMatchObject({ response: 'replacement_launched' });

    // Another workload of the client interrupted elsewhere does not go to us-east-1a now.
    const other = await workload(tenant);
    await t.request('POST', `/api/agents/${other.agentId}/pricing-report`, {
      token: other.primary.agent_token,
      body: {
        prices: [
          {
            instance_type: 'c5.large',
            availability_zone: 'us-east-1a',
            spot_price: 0.001,
            timestamp: new Date(clock).toISOString(),
          },
        ],
      },
    });
    await notice(other.agentId, other.primary.agent_token, other.cloudId);
    const [otherLaunch] = await poll(other.agentId, other.primary.agent_token);
    expect(otherLaunch?.metadata.availability_zone).toBe('us-east-1c');
  });

  it('falls back to on-demand when no spot pool is acceptable, then returns to spot', async () => {
    const tenant = await t.newTenant();
    const { agentId, primary, cloudId } = await workload(tenant, {
      on_demand_fallback: true,
      candidate_pools: [POOLS[0], POOLS[1]],
    });
    // us-east-1b refuses capacity: a failed launch there marks it unavailable.
    await t.request('POST', `/api/client/agents/${agentId}/replicas`, {
      token: tenant.token,
      body: POOLS[1],
    });
    const [rl] = await poll(agentId, primary.agent_token);
    await t.request('POST', `/api/agents/${agentId}/commands/${rl!.id}/result`, {
      token: primary.agent_token,
      body: { success: false, result: { error_code: 'InsufficientInstanceCapacity' } },
    });
    await notice(agentId, primary.agent_token, cloudId);
    const [launch] = await poll(agentId, primary.agent_token);
    expect(launch?.metadata).toMatchObject({ market: 'on-demand', availability_zone: 'us-east-1a' });
    expect((await interruptions(tenant))[0]).toMatchObject({ response: 'on_demand_fallback' });
    const od = await join(launch!);
    const [promote] = await poll(agentId, od.agent_token);
    await t.request('POST', `/api/agents/${agentId}/commands/${promote!.id}/result`, {
      token: od.agent_token,
      body: { success: true },
    });
    expect((await switches(tenant, agentId))[0]).toMatchObject({ trigger: 'fallback', status: 'COMPLETED' });

    // Not before the minimum time on on-demand; then back to the spot pool that has returned.
    advance(300);
    expect(await runJobOnce('return-to-spot', t.server.jobDeps)).toBe(0);
    advance(400);
    expect(await runJobOnce('return-to-spot', t.server.jobDeps)).toBe(1);
    const [back] = await switches(tenant, agentId);
    expect(back).toMatchObject({
      trigger: 'return_to_spot',
      status: 'IN_PROGRESS',
      to_pool: { market: 'spot' },
    });
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
  });
});

describe('rebalance recommendations', () => {
  it('pre-warm a replica when configured, rate-limited fleet-wide; mark and ignore do not launch', async () => {
    const tenant = await t.newTenant();
    const launchesBefore = async (agentId: string, token: string) => (await poll(agentId, token)).length;
    const results: string[] = [];
    for (let n = 0; n < 4; n++) {
      const w = await workload(tenant, { on_rebalance: 'replica' });
      await t.request('POST', `/api/agents/${w.agentId}/rebalance-notice`, {
        token: w.primary.agent_token,
        body: { cloud_instance_id: w.cloudId, notice_time: new Date(clock).toISOString() },
      });
      const mine = (await interruptions(tenant)).find((i) => i.cloud_instance_id === w.cloudId);
      results.push(String(mine?.response));
      if (n < 2) expect(await launchesBefore(w.agentId, w.primary.agent_token)).toBe(1);
    }
    // REBALANCE_REPLICAS_PER_MINUTE=2 in this server (other tests' tenants count too: at most 2).
    expect(results.filter((r) => r === 'replica_prewarmed').length).toBeLessThanOrEqual(2);
    expect(results.slice(2)).toEqual(['rate_limited', 'rate_limited']);

    const marked = await workload(tenant, { on_rebalance: 'mark' });
    await t.request('POST', `/api/agents/${marked.agentId}/rebalance-notice`, {
      token: marked.primary.agent_token,
      body: { cloud_instance_id: marked.cloudId, notice_time: new Date(clock).toISOString() },
    });
    expect((await interruptions(tenant)).find((i) => i.cloud_instance_id === marked.cloudId)).toMatchObject({
      response: 'marked',
    });
    expect(await poll(marked.agentId, marked.primary.agent_token)).toEqual([]);
  });
});

describe('rebalance storm, concurrently', () => {
  it('keeps the fleet-wide cap when the recommendations arrive at once', async () => {
    advance(61); // the previous test's pre-warms leave the cap's window
    const tenant = await t.newTenant();
    const ws = [];
    for (let n = 0; n < 4; n++) ws.push(await workload(tenant, { on_rebalance: 'replica' }));
    await Promise.all(
      ws.map((w) =>
        t.request('POST', `/api/agents/${w.agentId}/rebalance-notice`, {
          token: w.primary.agent_token,
          body: { cloud_instance_id: w.cloudId, notice_time: new Date(clock).toISOString() },
        }),
      ),
    );
    const responses = (await interruptions(tenant)).map((i) => i.response);
    expect(responses.filter((r) => r === 'replica_prewarmed')).toHaveLength(2);
    expect(responses.filter((r) => r === 'rate_limited')).toHaveLength(2);
  });
});

describe('EventBridge', () => {
  const envelope = (cloudId: string, type = 'EC2 Spot Instance Interruption Warning') => ({
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': type,
    source: 'aws.ec2',
    account: '123456789012',
    time: new Date(clock).toISOString().replace(/\.\d+Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${cloudId}`],
    detail:
      type === 'EC2 Instance State-change Notification'
        ? { 'instance-id': cloudId, state: 'terminated' }
        : { 'instance-id': cloudId, 'instance-action': 'terminate' },
  });

  it('is a second source: one response, both sources on the record; unknown 202; bad input 400/401, nothing changed', async () => {
    const tenant = await t.newTenant();
    const secret = `eb-secret-${crypto.randomUUID()}`;
    const set = await t.request('PUT', `/api/admin/clients/${tenant.clientId}/eventbridge-secret`, {
      token: ADMIN_TOKEN,
      body: { secret },
    });
    expect(set.status).toBe(200);
    const { agentId, primary, cloudId } = await workload(tenant);
    const deliver = (body: unknown, s = secret) =>
      t.request('POST', '/api/integrations/eventbridge', {
        headers: { 'x-spot-eventbridge-secret': s },
        body,
      });

    expect((await deliver(envelope(cloudId), 'wrong-secret-000000000000000')).status).toBe(401);
    for (const bad of [
      {},
      { ...envelope(cloudId), 'detail-type': 'Something Else' },
      { ...envelope(cloudId), detail: {} },
      '{"x":',
    ]) {
      expect((await deliver(bad)).status).toBe(400);
    }
    expect(await interruptions(tenant)).toEqual([]);
    const unknown = await deliver(envelope('i-0deadbeef'));
    expect(unknown.status).toBe(202);
    expect(unknown.body.accepted).toBe(false);

    const first = await deliver(envelope(cloudId));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ accepted: true });
    await notice(agentId, primary.agent_token, cloudId);
    const list = await interruptions(tenant);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ response: 'replacement_launched', sources: ['eventbridge', 'agent'] });
    expect((await switches(tenant, agentId)).length).toBe(1);

    // The state change: AWS took it.
    const gone = await deliver(envelope(cloudId, 'EC2 Instance State-change Notification'));
    expect(gone.body).toMatchObject({ accepted: true });
    const inst = await t.request('GET', `/api/client/instances/${primary.instance_id}`, {
      token: tenant.token,
    });
    expect(inst.body.status).toBe('TERMINATED');
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
  });
});
