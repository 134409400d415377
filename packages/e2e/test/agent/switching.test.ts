import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instance } from '../support/fleet.ts';
import { type AgentHandle, eventually, Stack, type Tenant } from '../support/stack.ts';

/**
 * Moving a workload with real processes: the server, the simulator ("AWS") and an agent on
 * every instance — the ones the product launches are booted by cloud-init and join the
 * workload with the token in their user data. What AWS records (instances, the Elastic IP's
 * association history) is checked, not only our own rows.
 */
interface Switch {
  switch_id: string;
  status: string;
  phase: string;
  to_instance_id: string | null;
  from_instance_id: string | null;
  downtime_seconds: number | null;
  error_code: string | null;
}
interface Address {
  allocation_id: string;
  instance_id: string | null;
  history: Array<{ instance_id: string | null; at: string }>;
}

describe('switching a workload between pools, with real agents', () => {
  let stack: Stack;
  let tenant: Tenant;
  let primaryAgent: AgentHandle;
  let agentId: string;
  let allocationId: string;
  let configVersion: number;

  const switches = async () =>
    (await stack.api('GET', `/api/client/switches?agent_id=${agentId}`, tenant.token)).switches as Switch[];
  const waitSwitch = (id: string, timeoutMs = 90_000) =>
    eventually(
      async () => (await switches()).find((s) => s.switch_id === id && s.status !== 'IN_PROGRESS'),
      timeoutMs,
      200,
    );
  const cloudIdOf = async (instanceId: string) =>
    String((await instance(stack, tenant, instanceId)).cloud_instance_id);
  const address = async () =>
    ((await stack.sim_('GET', '/_sim/addresses')) as unknown as Address[]).find(
      (a) => a.allocation_id === allocationId,
    )!;
  const primaryOf = async () => {
    const list = (await stack.api('GET', '/api/client/instances', tenant.token)).instances as Array<
      Record<string, string>
    >;
    return list.filter((i) => i.agent_id === agentId && i.role === 'PRIMARY');
  };
  const putConfig = async (patch: Record<string, unknown>) => {
    const body = {
      mode: 'observe',
      candidate_pools: [
        { instance_type: 'm5.large', availability_zone: 'us-east-1b' },
        { instance_type: 'c5.large', availability_zone: 'us-east-1c' },
      ],
      min_savings_percent: 10,
      on_rebalance: 'mark',
      on_demand_fallback: false,
      elastic_ip_allocation_id: allocationId,
      version: configVersion,
      ...patch,
    };
    const res = await stack.api('PUT', `/api/client/agents/${agentId}/config`, tenant.token, body);
    configVersion = Number(res.version);
  };

  beforeAll(async () => {
    // Generous launch/switch timeouts (60 s / 120 s real): on a loaded machine the restart test's
    // launch spans the server's downtime, and a timeout there is not what these tests are about.
    stack = await Stack.start({
      speed: 20,
      serverEnv: { LAUNCH_TIMEOUT_SECONDS: '1200', SWITCH_TIMEOUT_SECONDS: '2400' },
    });
    tenant = await stack.createTenant();
    primaryAgent = await stack.startAgent(tenant, { logicalId: 'web-1' });
    agentId = primaryAgent.agentId;
    stack.startCloudInit();
    // The operator's Elastic IP, on the first host.
    allocationId = await stack.elasticIpFor(primaryAgent.hostInstanceId);
    configVersion = Number(
      (await stack.api('GET', `/api/client/agents/${agentId}/config`, tenant.token)).version,
    );
    await putConfig({});
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('a manual switch launches in the target pool, moves the address, retires the old host; downtime agrees with AWS', async () => {
    const [before] = await primaryOf();
    const started = await stack.api('POST', `/api/client/agents/${agentId}/switch`, tenant.token, {
      instance_type: 'm5.large',
      availability_zone: 'us-east-1b',
    });
    const done = await waitSwitch(String(started.switch_id));
    expect(done).toMatchObject({
      status: 'COMPLETED',
      error_code: null,
      from_instance_id: before?.instance_id,
    });
    const target = await instance(stack, tenant, done.to_instance_id!);
    expect(target).toMatchObject({ role: 'PRIMARY', status: 'RUNNING', instance_type: 'm5.large' });
    expect(await primaryOf()).toHaveLength(1);

    // "AWS": the address now points at the new primary, moved in one step from the old one.
    const newCloud = String(target.cloud_instance_id);
    const addr = await address();
    expect(addr.instance_id).toBe(newCloud);
    const moves = addr.history.map((h) => h.instance_id);
    expect(moves.slice(-2)).toEqual([primaryAgent.hostInstanceId, newCloud]);
    // Downtime per AWS: no entry with no instance between the two; ours is the cut-over window.
    expect(moves).not.toContain(null);
    expect(done.downtime_seconds).not.toBeNull();
    expect(done.downtime_seconds!).toBeGreaterThanOrEqual(0);
    expect(done.downtime_seconds!).toBeLessThan(1);

    // The former primary is terminated, in our records and in AWS.
    await eventually(
      async () => (await instance(stack, tenant, before!.instance_id!)).status === 'TERMINATED',
      60_000,
      200,
    );
    expect((await instance(stack, tenant, before!.instance_id!)).role).toBe('ZOMBIE');
    const host = await stack.sim_('GET', `/_sim/instances/${primaryAgent.hostInstanceId}`);
    expect(['shutting-down', 'terminated']).toContain(host.state);
  }, 150_000);

  it('a switch into a pool without capacity fails and leaves the primary serving, address untouched', async () => {
    const [before] = await primaryOf();
    await stack.sim_('POST', '/_sim/pools/outage', {
      instance_type: 'r5.large',
      availability_zone: 'us-east-1c',
      duration_seconds: 3600,
    });
    const started = await stack.api('POST', `/api/client/agents/${agentId}/switch`, tenant.token, {
      instance_type: 'r5.large',
      availability_zone: 'us-east-1c',
    });
    const done = await waitSwitch(String(started.switch_id));
    expect(done).toMatchObject({ status: 'FAILED', error_code: 'InsufficientInstanceCapacity' });
    const [after] = await primaryOf();
    expect(after?.instance_id).toBe(before?.instance_id);
    expect(after?.status).toBe('RUNNING');
    expect((await address()).instance_id).toBe(await cloudIdOf(before!.instance_id!));
  }, 150_000);

  it('a replica is promoted through the same cut-over', async () => {
    const replica = await stack.api('POST', `/api/client/agents/${agentId}/replicas`, tenant.token, {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1c',
    });
    const replicaId = String(replica.instance_id);
    await eventually(
      async () => (await instance(stack, tenant, replicaId)).status === 'RUNNING',
      90_000,
      200,
    );
    const promoted = await stack.api('POST', `/api/client/instances/${replicaId}/promote`, tenant.token, {});
    const done = await waitSwitch(String(promoted.switch_id));
    expect(done).toMatchObject({ status: 'COMPLETED', to_instance_id: replicaId });
    expect((await address()).instance_id).toBe(await cloudIdOf(replicaId));
    expect((await primaryOf()).map((p) => p.instance_id)).toEqual([replicaId]);
  }, 150_000);

  it('manual_replica mode keeps one replica, and brings a new one when AWS takes it', async () => {
    await putConfig({ mode: 'manual_replica' });
    const liveReplicas = async () =>
      (
        (await stack.api('GET', '/api/client/instances', tenant.token)).instances as Array<
          Record<string, string>
        >
      ).filter((i) => i.agent_id === agentId && i.role === 'REPLICA' && i.status === 'RUNNING');
    const [first] = await eventually(
      async () => {
        const r = await liveReplicas();
        return r.length === 1 ? r : null;
      },
      90_000,
      250,
    );
    const [primary] = await primaryOf();
    expect(`${first?.instance_type}@${first?.availability_zone}`).not.toBe(
      `${primary?.instance_type}@${primary?.availability_zone}`,
    );
    await stack.sim_('POST', `/_sim/instances/${first?.cloud_instance_id}/interrupt`, { notice_seconds: 10 });
    const [second] = await eventually(
      async () => {
        const r = await liveReplicas();
        return r.length === 1 && r[0]?.instance_id !== first?.instance_id ? r : null;
      },
      120_000,
      250,
    );
    expect(second?.instance_id).not.toBe(first?.instance_id);
    expect((await instance(stack, tenant, first!.instance_id!)).status).toBe('TERMINATED');
    await putConfig({ mode: 'observe' });
  }, 240_000);

  it('a server restart in the middle of a switch: the switch completes after the restart', async () => {
    const started = await stack.api('POST', `/api/client/agents/${agentId}/switch`, tenant.token, {
      instance_type: 'm5.large',
      availability_zone: 'us-east-1d',
    });
    await stack.stopServer();
    await new Promise((r) => setTimeout(r, 500));
    await stack.startServer();
    const done = await waitSwitch(String(started.switch_id), 120_000);
    expect(['COMPLETED', 'FAILED']).toContain(done.status);
    expect(done.status, `switch failed: ${done.error_code}`).toBe('COMPLETED');
    expect(await primaryOf()).toHaveLength(1);
    expect((await address()).instance_id).toBe(await cloudIdOf(done.to_instance_id!));
  }, 180_000);
});
