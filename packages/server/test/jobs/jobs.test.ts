import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let t: TestServer;
let clock = Date.now();
beforeAll(async () => {
  // A hand-driven clock: jobs see time pass without the test sleeping.
  t = await startTestServer({
    now: () => new Date(clock),
    env: {
      AGENT_HEARTBEAT_INTERVAL_SECONDS: '60',
      AGENT_MISSED_HEARTBEATS: '3',
      LAUNCH_TIMEOUT_SECONDS: '300',
      TERMINATE_TIMEOUT_SECONDS: '180',
    },
  });
});
afterAll(async () => {
  await t?.close();
});

const deps = () => t.server.jobDeps;
const advance = (seconds: number) => {
  clock += seconds * 1000;
};

async function runningInstance(tenant: Awaited<ReturnType<TestServer['newTenant']>>) {
  const agent = await tenant.registerAgent();
  const { instance_id } = await tenant.launch(agent.agent_id);
  await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
    token: agent.agent_token,
    body: { instance_id, cloud_instance_id: 'i-0a1', state: 'running' },
  });
  return { agent, instance_id };
}

describe('heartbeat monitor', () => {
  it('takes a silent agent and its RUNNING instances OFFLINE, and back when heartbeats resume', async () => {
    const tenant = await t.newTenant();
    const { agent, instance_id } = await runningInstance(tenant);
    advance(170);
    await runJobOnce('heartbeat-monitor', deps());
    let inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body.status).toBe('RUNNING'); // 170 s < 3 × 60 s

    advance(20);
    await runJobOnce('heartbeat-monitor', deps());
    inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body.status).toBe('OFFLINE');
    const agents = await t.request('GET', '/api/client/agents', { token: tenant.token });
    expect(agents.body.agents[0]).toMatchObject({
      agent_id: agent.agent_id,
      status: 'offline',
      active_instances: 1,
    });

    const hb = await t.request('POST', `/api/agents/${agent.agent_id}/heartbeat`, {
      token: agent.agent_token,
      body: {},
    });
    expect(hb.body.agent_status).toBe('online');
    inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body.status).toBe('RUNNING');

    const outbox = await t.db.kysely
      .selectFrom('events')
      .select(['type', 'data'])
      .where('client_id', '=', tenant.clientId)
      .orderBy('seq')
      .execute();
    const types = outbox.map((e) => e.type);
    expect(types).toEqual([
      'AGENT_STATUS_CHANGED',
      'INSTANCE_LAUNCHING',
      'INSTANCE_RUNNING',
      'AGENT_STATUS_CHANGED',
      'INSTANCE_OFFLINE',
      'AGENT_STATUS_CHANGED',
      'INSTANCE_RUNNING',
    ]);
    expect((outbox[3]!.data as any).status).toBe('offline');
    expect((outbox[5]!.data as any).status).toBe('online');
  });
});

describe('stuck transitions', () => {
  it('fails a launch that got no confirmation within the launch timeout', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id } = await tenant.launch(agent.agent_id);
    advance(299);
    await runJobOnce('stuck-transitions', deps());
    expect(
      (await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token })).body.status,
    ).toBe('LAUNCHING');
    advance(2);
    await runJobOnce('stuck-transitions', deps());
    const inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body).toMatchObject({ status: 'FAILED', error_code: 'LaunchTimeout' });
    const history = await t.request('GET', `/api/client/instances/${instance_id}/history`, {
      token: tenant.token,
    });
    expect(history.body.events.at(-1)).toMatchObject({
      event_type: 'LAUNCH_FAILED',
      source: 'backend',
      reason: 'timeout',
    });
    // A confirmation arriving after that is late: recorded, and the instance stays FAILED.
    const late = await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id, cloud_instance_id: 'i-0a7e', state: 'running' },
    });
    expect(late.body, JSON.stringify(late.body)).toMatchObject({ outcome: 'late' });
  });

  it('fails a termination that got no confirmation within the terminate timeout', async () => {
    const tenant = await t.newTenant();
    const { instance_id } = await runningInstance(tenant);
    await t.request('POST', `/api/client/instances/${instance_id}/terminate`, { token: tenant.token });
    advance(181);
    await runJobOnce('stuck-transitions', deps());
    const inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body).toMatchObject({ status: 'FAILED', error_code: 'TerminateTimeout' });
    // It still exists in the cloud as far as we know: the operator can retry the termination.
    const retry = await t.request('POST', `/api/client/instances/${instance_id}/terminate`, {
      token: tenant.token,
    });
    expect(retry.status).toBe(202);
  });
});

describe('agent tokens after their instance ends', () => {
  it('are revoked an hour after the instance is TERMINATED, not before, and only theirs', async () => {
    const tenant = await t.newTenant();
    const { agent, instance_id } = await runningInstance(tenant);
    // The agent process on that instance registers from it: its token is bound to the instance.
    const onInstance = await t.request('POST', '/api/agents/register', {
      token: tenant.token,
      body: {
        logical_id: agent.logical_id,
        region: 'us-east-1',
        instance_type: 't3.medium',
        availability_zone: 'us-east-1a',
        cloud_instance_id: 'i-0a1',
      },
    });
    expect(onInstance.body.instance_id).toBe(instance_id);
    const bound = onInstance.body.agent_token as string;
    const heartbeat = (token: string) =>
      t.request('POST', `/api/agents/${agent.agent_id}/heartbeat`, { token, body: {} });
    expect((await heartbeat(bound)).status).toBe(200);

    await t.request('POST', `/api/agents/${agent.agent_id}/instance-terminated`, {
      token: bound,
      body: { instance_id, cloud_instance_id: 'i-0a1', state: 'terminated' },
    });
    const inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body.status).toBe('TERMINATED');

    advance(59 * 60);
    await runJobOnce('retention', deps());
    expect((await heartbeat(bound)).status).toBe(200); // within the hour: still good

    advance(2 * 60);
    expect((await heartbeat(bound)).status).toBe(200); // cached again, for 30 s of the clock
    expect(await runJobOnce('retention', deps())).toBeGreaterThanOrEqual(1);
    // Refused with the clock standing still, inside the cache lifetime: the NOTIFY at commit
    // dropped it from the cache (delivered on the listening connection, hence the polling, up to 5 s).
    let status = 200;
    for (let i = 0; i < 500 && status === 200; i++) {
      status = (await heartbeat(bound)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toBe(401);
    // The agent's token not bound to an instance is untouched.
    expect((await heartbeat(agent.agent_token)).status).toBe(200);
  });
});
