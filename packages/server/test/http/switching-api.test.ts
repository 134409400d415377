import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { findViolations } from '../support/invariants.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * The switch process through the API, with the agents' side played by hand (each "process"
 * is a token): config with its version, a switch's launch → join → promotion → cut-over,
 * commands aimed at the right process, failures that leave the old primary serving, and
 * the downtime record. The real agents and simulator do the same in packages/e2e.
 */
let t: TestServer;
let clock = Date.parse('2026-06-01T12:00:00.000Z');
beforeAll(async () => {
  t = await startTestServer({ now: () => new Date(clock), env: { SWITCH_TIMEOUT_SECONDS: '600' } });
});
afterAll(async () => {
  await t?.close();
});
const advance = (s: number) => {
  clock += s * 1000;
};

type Tenant = Awaited<ReturnType<TestServer['newTenant']>>;
let cloudSeq = 0x100;
const nextCloudId = () => `i-0${(cloudSeq++).toString(16)}`;

async function poll(agentId: string, token: string) {
  const r = await t.request('GET', `/api/agents/${agentId}/pending-commands`, { token });
  expect(r.status).toBe(200);
  return r.body.commands as Array<{ id: string; command_type: string; metadata: Record<string, unknown> }>;
}

/** The agent on a launched instance joins with the token from its launch command. */
async function join(command: { metadata: Record<string, unknown> }, cloudId = nextCloudId()) {
  const r = await t.request('POST', '/api/agents/join', {
    body: { join_token: command.metadata.join_token, cloud_instance_id: cloudId, instance_type: 'c5.large' },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return {
    ...(r.body as { agent_id: string; agent_token: string; instance_id: string; role: string }),
    cloudId,
  };
}

/** A workload whose PRIMARY is RUNNING with its own joined agent process. */
async function workload(tenant: Tenant) {
  const first = await tenant.registerAgent();
  await tenant.launch(first.agent_id);
  const [launch] = await poll(first.agent_id, first.agent_token);
  expect(launch?.command_type).toBe('LAUNCH_INSTANCE');
  expect(String(launch?.metadata.join_token)).toMatch(/^soj_/);
  const primary = await join(launch!);
  expect(primary.role).toBe('PRIMARY');
  return { agentId: first.agent_id, launcherToken: first.agent_token, primary };
}

const instance = async (tenant: Tenant, id: string) =>
  (await t.request('GET', `/api/client/instances/${id}`, { token: tenant.token })).body;

describe('agent config', () => {
  it('reads defaults, writes with the version read, and refuses a stale version', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const path = `/api/client/agents/${agent.agent_id}/config`;
    const read = await t.request('GET', path, { token: tenant.token });
    expect(read.body).toMatchObject({
      mode: 'observe',
      candidate_pools: [],
      on_rebalance: 'mark',
      version: 1,
    });
    const body = {
      mode: 'manual_replica',
      candidate_pools: [{ instance_type: 'c5.large', availability_zone: 'us-east-1b' }],
      min_savings_percent: 15,
      on_rebalance: 'replica',
      on_demand_fallback: true,
      elastic_ip_allocation_id: 'eipalloc-0abc',
      version: 1,
    };
    const ok = await t.request('PUT', path, { token: tenant.token, body });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      mode: 'manual_replica',
      version: 2,
      elastic_ip_allocation_id: 'eipalloc-0abc',
    });
    const stale = await t.request('PUT', path, { token: tenant.token, body: { ...body, mode: 'observe' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('VERSION_CONFLICT');
    const bad = await t.request('PUT', path, {
      token: tenant.token,
      body: { ...body, mode: 'both', version: 2 },
    });
    expect(bad.status).toBe(400);
    const after = await t.request('GET', path, { token: tenant.token });
    expect(after.body).toMatchObject({ mode: 'manual_replica', version: 2 });
    const foreign = await t.request('GET', path, { token: (await t.newTenant()).token });
    expect(foreign.status).toBe(404);
  });
});

describe('a manual switch', () => {
  it('launches the target, promotes it through its own agent, retires the old primary and records downtime', async () => {
    const tenant = await t.newTenant();
    const { agentId, primary } = await workload(tenant);
    const started = await t.request('POST', `/api/client/agents/${agentId}/switch`, {
      token: tenant.token,
      body: { instance_type: 'c5.large', availability_zone: 'us-east-1b', reason: 'cheaper' },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ status: 'IN_PROGRESS', agent_id: agentId });
    const again = await t.request('POST', `/api/client/agents/${agentId}/switch`, {
      token: tenant.token,
      body: { instance_type: 'c5.large' },
    });
    expect(again.status).toBe(409);

    // Any live process of the workload may run the launch: the primary's agent takes it.
    const [launch] = await poll(agentId, primary.agent_token);
    expect(launch).toMatchObject({ id: started.body.command_id, command_type: 'LAUNCH_INSTANCE' });
    expect(launch?.metadata).toMatchObject({ role: 'REPLICA', instance_type: 'c5.large' });
    advance(30);
    const target = await join(launch!);
    expect(target.role).toBe('REPLICA');

    // The cut-over is aimed at the target's own agent: the primary's poll does not get it.
    expect(await poll(agentId, primary.agent_token)).toEqual([]);
    const [promote] = await poll(agentId, target.agent_token);
    expect(promote?.command_type).toBe('PROMOTE_REPLICA');
    expect(promote?.metadata).toMatchObject({
      switch_id: started.body.switch_id,
      instance_id: target.instance_id,
      cloud_instance_id: target.cloudId,
      from_instance_id: primary.instance_id,
    });
    expect((await instance(tenant, target.instance_id)).status).toBe('PROMOTING');

    const at = new Date(clock);
    const result = await t.request('POST', `/api/agents/${agentId}/commands/${promote!.id}/result`, {
      token: target.agent_token,
      body: {
        success: true,
        result: {
          cutover_started_at: new Date(at.getTime() - 250).toISOString(),
          cutover_completed_at: at.toISOString(),
        },
      },
    });
    expect(result.status).toBe(200);

    expect(await instance(tenant, target.instance_id)).toMatchObject({ status: 'RUNNING', role: 'PRIMARY' });
    expect(await instance(tenant, primary.instance_id)).toMatchObject({
      status: 'TERMINATING',
      role: 'ZOMBIE',
    });
    // The zombie is terminated by the new primary's agent, not by its own.
    expect(await poll(agentId, primary.agent_token)).toEqual([]);
    const [kill] = await poll(agentId, target.agent_token);
    expect(kill).toMatchObject({ command_type: 'TERMINATE_INSTANCE' });
    expect(kill?.metadata.instance_id).toBe(primary.instance_id);

    const list = await t.request('GET', `/api/client/switches?agent_id=${agentId}`, { token: tenant.token });
    expect(list.body.switches).toHaveLength(1);
    expect(list.body.switches[0]).toMatchObject({
      switch_id: started.body.switch_id,
      trigger: 'manual',
      status: 'COMPLETED',
      phase: 'completed',
      from_instance_id: primary.instance_id,
      to_instance_id: target.instance_id,
      from_pool: { instance_type: 't3.medium', availability_zone: 'us-east-1a', market: 'spot' },
      to_pool: { instance_type: 'c5.large', availability_zone: 'us-east-1b', market: 'spot' },
      downtime_seconds: 0.25,
      error_code: null,
      reason: 'cheaper',
    });
    const analytics = await t.request('GET', '/api/client/analytics/downtime?hours=1', {
      token: tenant.token,
    });
    expect(analytics.body.overall).toMatchObject({ count: 1, completed: 1, failed: 0, p95_seconds: 0.25 });
    expect(analytics.body.by_trigger.manual).toMatchObject({ completed: 1 });

    // The join token was for one use; the history says who joined.
    const reuse = await t.request('POST', '/api/agents/join', {
      body: { join_token: launch?.metadata.join_token, cloud_instance_id: target.cloudId },
    });
    expect(reuse.status).toBe(401);
    const history = await t.request('GET', `/api/client/instances/${target.instance_id}/history`, {
      token: tenant.token,
    });
    expect(history.body.events.map((e: { event_type: string }) => e.event_type)).toEqual([
      'LAUNCH_REQUESTED',
      'AGENT_JOINED',
      'LAUNCH_CONFIRMED',
      'PROMOTE_REQUESTED',
      'PROMOTE_CONFIRMED',
    ]);
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
  });

  it('fails cleanly when the target cannot launch: the old primary keeps serving', async () => {
    const tenant = await t.newTenant();
    const { agentId, primary } = await workload(tenant);
    const started = await t.request('POST', `/api/client/agents/${agentId}/switch`, {
      token: tenant.token,
      body: { instance_type: 'r5.large', availability_zone: 'us-east-1c' },
    });
    const [launch] = await poll(agentId, primary.agent_token);
    await t.request('POST', `/api/agents/${agentId}/commands/${launch!.id}/result`, {
      token: primary.agent_token,
      body: {
        success: false,
        message: 'no capacity',
        result: { error_code: 'InsufficientInstanceCapacity' },
      },
    });
    const list = await t.request('GET', `/api/client/switches?agent_id=${agentId}`, { token: tenant.token });
    expect(list.body.switches[0]).toMatchObject({
      switch_id: started.body.switch_id,
      status: 'FAILED',
      error_code: 'InsufficientInstanceCapacity',
      downtime_seconds: null,
    });
    expect(await instance(tenant, primary.instance_id)).toMatchObject({ status: 'RUNNING', role: 'PRIMARY' });
    // A new switch may start once this one has ended.
    const next = await t.request('POST', `/api/client/agents/${agentId}/switch`, {
      token: tenant.token,
      body: { instance_type: 'c5.large' },
    });
    expect(next.status).toBe(202);
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
  });

  it('is failed by the timeout job when the target never comes up, and its late target is retired', async () => {
    const tenant = await t.newTenant();
    const { agentId, primary } = await workload(tenant);
    await t.request('POST', `/api/client/agents/${agentId}/switch`, {
      token: tenant.token,
      body: { instance_type: 'c5.large', availability_zone: 'us-east-1b' },
    });
    const [launch] = await poll(agentId, primary.agent_token);
    advance(601);
    // (Other tests' unfinished switches time out too: at least this one.)
    expect(await runJobOnce('switch-timeouts', t.server.jobDeps)).toBeGreaterThanOrEqual(1);
    const [sw] = (await t.request('GET', `/api/client/switches?agent_id=${agentId}`, { token: tenant.token }))
      .body.switches;
    expect(sw).toMatchObject({ status: 'FAILED', error_code: 'SwitchTimeout' });
    // The target comes up after all: it is terminated, not left billing as a stray replica.
    const late = await join(launch!);
    expect((await instance(tenant, late.instance_id)).status).toBe('TERMINATING');
    expect(await instance(tenant, primary.instance_id)).toMatchObject({ status: 'RUNNING', role: 'PRIMARY' });
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
  });
});

describe('replicas and promotion', () => {
  it('adds a replica, promotes it, and a failed cut-over leaves it a serving replica', async () => {
    const tenant = await t.newTenant();
    const { agentId, primary } = await workload(tenant);
    const added = await t.request('POST', `/api/client/agents/${agentId}/replicas`, {
      token: tenant.token,
      body: { instance_type: 'c5.large', availability_zone: 'us-east-1b' },
    });
    expect(added.status).toBe(202);
    expect(added.body).toMatchObject({ role: 'REPLICA', status: 'LAUNCHING' });
    const [launch] = await poll(agentId, primary.agent_token);
    const replica = await join(launch!);
    expect((await instance(tenant, replica.instance_id)).status).toBe('RUNNING');

    const notReplica = await t.request('POST', `/api/client/instances/${primary.instance_id}/promote`, {
      token: tenant.token,
    });
    expect(notReplica.status).toBe(409);

    const promoted = await t.request('POST', `/api/client/instances/${replica.instance_id}/promote`, {
      token: tenant.token,
    });
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(202);
    const [promote] = await poll(agentId, replica.agent_token);
    expect(promote?.id).toBe(promoted.body.command_id);
    await t.request('POST', `/api/agents/${agentId}/commands/${promote!.id}/result`, {
      token: replica.agent_token,
      body: {
        success: false,
        message: 'AssociateAddress refused',
        result: { error_code: 'InvalidAllocationID.NotFound' },
      },
    });
    expect(await instance(tenant, replica.instance_id)).toMatchObject({ status: 'RUNNING', role: 'REPLICA' });
    expect(await instance(tenant, primary.instance_id)).toMatchObject({ status: 'RUNNING', role: 'PRIMARY' });

    // Second try succeeds: the replica becomes the primary.
    advance(1);
    const retry = await t.request('POST', `/api/client/instances/${replica.instance_id}/promote`, {
      token: tenant.token,
    });
    const [promote2] = await poll(agentId, replica.agent_token);
    expect(promote2?.id).toBe(retry.body.command_id);
    await t.request('POST', `/api/agents/${agentId}/commands/${promote2!.id}/result`, {
      token: replica.agent_token,
      body: { success: true },
    });
    expect(await instance(tenant, replica.instance_id)).toMatchObject({ status: 'RUNNING', role: 'PRIMARY' });
    expect(await instance(tenant, primary.instance_id)).toMatchObject({ role: 'ZOMBIE' });
    const list = await t.request('GET', `/api/client/switches?agent_id=${agentId}`, { token: tenant.token });
    expect(list.body.switches.map((s: { status: string }) => s.status)).toEqual(['COMPLETED', 'FAILED']);
    expect(list.body.switches[0].downtime_seconds).toBe(0);
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
  });

  it('keeps one replica for a manual_replica workload, in a candidate pool other than the primary', async () => {
    const tenant = await t.newTenant();
    const { agentId, primary } = await workload(tenant);
    await t.request('PUT', `/api/client/agents/${agentId}/config`, {
      token: tenant.token,
      body: {
        mode: 'manual_replica',
        candidate_pools: [
          { instance_type: 't3.medium', availability_zone: 'us-east-1a' },
          { instance_type: 'c5.large', availability_zone: 'us-east-1c' },
        ],
        min_savings_percent: 10,
        on_rebalance: 'mark',
        on_demand_fallback: false,
        version: 1,
      },
    });
    expect(await runJobOnce('replica-keeper', t.server.jobDeps)).toBe(1);
    expect(await runJobOnce('replica-keeper', t.server.jobDeps)).toBe(0);
    const [launch] = await poll(agentId, primary.agent_token);
    expect(launch?.metadata).toMatchObject({
      role: 'REPLICA',
      instance_type: 'c5.large',
      availability_zone: 'us-east-1c',
    });
    const replica = await join(launch!);
    // AWS takes the replica: the keeper brings a new one.
    await t.request('POST', `/api/agents/${agentId}/instance-terminated`, {
      token: replica.agent_token,
      body: { instance_id: replica.instance_id, state: 'terminated', source: 'external' },
    });
    expect(await runJobOnce('replica-keeper', t.server.jobDeps)).toBe(1);
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
  });

  it('refuses bad input without changing anything', async () => {
    const tenant = await t.newTenant();
    const { agentId } = await workload(tenant);
    for (const body of [
      {},
      { instance_type: 'not a type' },
      { instance_type: 'c5.large', market: 'reserved' },
    ]) {
      const r = await t.request('POST', `/api/client/agents/${agentId}/switch`, {
        token: tenant.token,
        body,
      });
      expect(r.status).toBe(400);
    }
    expect(
      (
        await t.request('POST', '/api/client/agents/nope/switch', {
          token: tenant.token,
          body: { instance_type: 'c5.large' },
        })
      ).status,
    ).toBe(404);
    expect(
      (await t.request('POST', '/api/client/instances/nope/promote', { token: tenant.token })).status,
    ).toBe(404);
    expect(
      (
        await t.request('POST', '/api/agents/join', {
          body: { join_token: 'soj_made-up-token-000000', cloud_instance_id: 'i-0abc' },
        })
      ).status,
    ).toBe(401);
    const list = await t.request('GET', `/api/client/switches?agent_id=${agentId}`, { token: tenant.token });
    expect(list.body.switches).toEqual([]);
  });
});
