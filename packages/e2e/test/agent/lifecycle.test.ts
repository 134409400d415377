import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { history, instance, launch, simInstancesFor } from '../support/fleet.ts';
import type { SseStream } from '../support/sse.ts';
import { type AgentHandle, eventually, Stack, type Tenant } from '../support/stack.ts';

/** Launch, terminate, AWS errors and prices: server + simulator + a real agent process. */
describe('agent lifecycle against the EC2 simulator', () => {
  let stack: Stack;
  let tenant: Tenant;
  let stream: SseStream;
  let agent: AgentHandle;

  beforeAll(async () => {
    stack = await Stack.start({ speed: 20 });
    tenant = await stack.createTenant();
    stream = await stack.openStream(tenant);
    agent = await stack.startAgent(tenant, {
      logicalId: 'web-1',
      env: { SPOT_POOLS: 'c5.large:us-east-1b,m5.large:us-east-1a', SPOT_PRICING_SECONDS: '20' },
    });
  });
  afterAll(async () => {
    stream?.close();
    await stack?.stop();
  });

  it('launch → LAUNCHING → RUNNING with the simulator instance id, created with the request id as ClientToken', async () => {
    const key = randomUUID();
    const { instance_id } = await launch(
      stack,
      tenant,
      { agent_id: agent.agentId, instance_type: 'm5.large', availability_zone: 'us-east-1b' },
      key,
    );
    const running = await stream.waitFor(
      (e) => e.type === 'INSTANCE_RUNNING' && e.data.data?.instance_id === instance_id,
    );
    const launching = stream.events.findIndex(
      (e) => e.type === 'INSTANCE_LAUNCHING' && e.data.data?.instance_id === instance_id,
    );
    expect(launching).toBeGreaterThanOrEqual(0);
    expect(launching).toBeLessThan(stream.events.indexOf(running));

    const [sim, ...others] = await simInstancesFor(stack, instance_id);
    expect(others).toEqual([]);
    expect(sim).toMatchObject({
      state: 'running',
      instance_type: 'm5.large',
      availability_zone: 'us-east-1b',
      market: 'spot',
      client_token: key,
    });
    expect(sim?.tags).toMatchObject({
      'spot-optimizer:logical-id': 'web-1',
      'spot-optimizer:managed': 'true',
    });
    expect(running.data.data?.cloud_instance_id).toBe(sim?.instance_id);
    const row = await instance(stack, tenant, instance_id);
    expect(row).toMatchObject({ status: 'RUNNING', cloud_instance_id: sim?.instance_id });
    expect(row.launch_duration_seconds).toEqual(expect.any(Number));
    const events = await history(stack, tenant, instance_id);
    expect(events.map((e) => e.event_type)).toEqual(['LAUNCH_REQUESTED', 'LAUNCH_CONFIRMED']);
    expect(events[1]).toMatchObject({ source: 'agent', cloud_instance_id: sim?.instance_id });
  });

  it('terminate → TERMINATED only once the simulator says terminated', async () => {
    const { instance_id } = await launch(stack, tenant, {
      agent_id: agent.agentId,
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
    });
    await stream.waitFor((e) => e.type === 'INSTANCE_RUNNING' && e.data.data?.instance_id === instance_id);
    const [sim] = await simInstancesFor(stack, instance_id);

    // Watch both sides: whenever the server says TERMINATED, the simulator (read after it) must agree.
    const violations: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const server = await instance(stack, tenant, instance_id);
        const aws = await stack.sim_('GET', `/_sim/instances/${sim?.instance_id}`);
        if (server.status === 'TERMINATED' && aws.state !== 'terminated') violations.push(String(aws.state));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await stack.api('POST', `/api/client/instances/${instance_id}/terminate`, tenant.token, {
      reason: 'manual',
    });
    const terminated = await stream.waitFor(
      (e) => e.type === 'INSTANCE_TERMINATED' && e.data.data?.instance_id === instance_id,
    );
    watching = false;
    await watcher;
    expect(violations).toEqual([]);
    expect((await stack.sim_('GET', `/_sim/instances/${sim?.instance_id}`)).state).toBe('terminated');
    expect(terminated.data.data?.termination_duration_seconds).toEqual(expect.any(Number));
    const events = await history(stack, tenant, instance_id);
    expect(events.map((e) => e.event_type)).toEqual([
      'LAUNCH_REQUESTED',
      'LAUNCH_CONFIRMED',
      'TERMINATE_REQUESTED',
      'TERMINATE_CONFIRMED',
    ]);
    expect(events[3]).toMatchObject({ source: 'agent', confirmation_method: 'agent_aws_poll' });
  });

  it('a capacity outage ends in FAILED with error_code InsufficientInstanceCapacity, and no instance', async () => {
    await stack.sim_('POST', '/_sim/pools/outage', {
      instance_type: 'r5.large',
      availability_zone: 'us-east-1c',
      error_code: 'InsufficientInstanceCapacity',
    });
    const { instance_id } = await launch(stack, tenant, {
      agent_id: agent.agentId,
      instance_type: 'r5.large',
      availability_zone: 'us-east-1c',
    });
    const failed = await stream.waitFor(
      (e) => e.type === 'INSTANCE_FAILED' && e.data.data?.instance_id === instance_id,
    );
    expect(failed.data.data).toMatchObject({ status: 'FAILED', error_code: 'InsufficientInstanceCapacity' });
    expect(String(failed.data.data?.error_message)).toMatch(/RunInstances failed/);
    expect(await simInstancesFor(stack, instance_id)).toEqual([]);
    const executed = await stream.waitFor(
      (e) => e.type === 'COMMAND_EXECUTED' && e.data.data?.instance_id === instance_id,
    );
    expect(executed.data.data).toMatchObject({ success: false, error_code: 'InsufficientInstanceCapacity' });
  });

  it('an invalid launch (unknown instance type for the region) fails with the EC2 error code', async () => {
    const { instance_id } = await launch(stack, tenant, {
      agent_id: agent.agentId,
      instance_type: 'x9.mega',
      availability_zone: 'us-east-1a',
    });
    const failed = await stream.waitFor(
      (e) => e.type === 'INSTANCE_FAILED' && e.data.data?.instance_id === instance_id,
    );
    expect(failed.data.data?.error_code).toMatch(/^Invalid|Unsupported/);
  });

  it('pricing reports land as price snapshots for the candidate pools and its own', async () => {
    const pools = await eventually(
      async () => {
        const res = await stack.api('GET', '/api/client/prices?hours=48', tenant.token);
        const list = res.pools as { instance_type: string; availability_zone: string; points: unknown[] }[];
        const keys = list
          .filter((p) => p.points.length > 0)
          .map((p) => `${p.instance_type}:${p.availability_zone}`);
        return (
          ['c5.large:us-east-1b', 'm5.large:us-east-1a', 'c5.large:us-east-1a'].every((k) =>
            keys.includes(k),
          ) && list
        );
      },
      60_000,
      500,
    );
    const own = pools.find((p) => p.instance_type === 'c5.large' && p.availability_zone === 'us-east-1a');
    expect(own?.points[0]).toMatchObject({ price: expect.any(Number), t: expect.any(String) });
  });
});
