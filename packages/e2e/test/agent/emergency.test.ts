import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instance } from '../support/fleet.ts';
import { ADMIN_TOKEN, type AgentHandle, eventually, Stack, type Tenant } from '../support/stack.ts';

/**
 * Interruptions answered before AWS's deadline, with real processes: the simulator's notice
 * reaches the agent's IMDS monitor (and EventBridge), the server responds, the agents on the
 * instances carry it out, and what "AWS" recorded (instances, the address) is checked.
 */
interface Interruption {
  interruption_id: string;
  cloud_instance_id: string;
  kind: string;
  response: string | null;
  outcome: string | null;
  sources: string[];
  switch_id: string | null;
  serving_after_seconds: number | null;
  deadline: string | null;
}
interface Inst {
  instance_id: string;
  agent_id: string;
  role: string;
  status: string;
  market: string;
  instance_type: string;
  availability_zone: string;
  cloud_instance_id: string | null;
}

describe('interruptions handled before the deadline, with real agents', () => {
  const secret = `eb-${randomBytes(16).toString('hex')}`;
  let stack: Stack;
  let tenant: Tenant;

  beforeAll(async () => {
    stack = await Stack.start({
      speed: 20,
      eventbridgeSecret: secret,
      serverEnv: { REBALANCE_REPLICAS_PER_MINUTE: '2' },
    });
    tenant = await stack.createTenant();
    await stack.api('PUT', `/api/admin/clients/${tenant.id}/eventbridge-secret`, ADMIN_TOKEN, { secret });
    stack.startCloudInit();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const instances = async () =>
    (await stack.api('GET', '/api/client/instances', tenant.token)).instances as Inst[];
  const interruptions = async () =>
    (await stack.api('GET', '/api/client/interruptions', tenant.token)).interruptions as Interruption[];
  const noticeFor = (cloudId: string, timeoutMs = 60_000) =>
    eventually(
      async () =>
        (await interruptions()).find(
          (i) => i.cloud_instance_id === cloudId && i.kind === 'termination_notice',
        ),
      timeoutMs,
      100,
    );
  const resolved = (cloudId: string, timeoutMs = 120_000) =>
    eventually(
      async () => {
        const i = (await interruptions()).find(
          (x) => x.cloud_instance_id === cloudId && x.kind === 'termination_notice',
        );
        return i?.outcome ? i : null;
      },
      timeoutMs,
      100,
    );
  const primaryOf = async (agentId: string) =>
    (await instances()).filter((i) => i.agent_id === agentId && i.role === 'PRIMARY');

  /** A workload on its own host with an Elastic IP and candidate pools in three zones. */
  async function workload(logicalId: string, config: Record<string, unknown> = {}) {
    const host = await stack.createHost('c5.large', 'us-east-1a');
    const agent: AgentHandle = await stack.startAgent(tenant, { logicalId, hostInstanceId: host });
    const allocationId = await stack.elasticIpFor(host);
    const cfg = await stack.api('GET', `/api/client/agents/${agent.agentId}/config`, tenant.token);
    await stack.api('PUT', `/api/client/agents/${agent.agentId}/config`, tenant.token, {
      mode: 'observe',
      candidate_pools: [
        { instance_type: 'c5.large', availability_zone: 'us-east-1a' },
        { instance_type: 'c5.large', availability_zone: 'us-east-1b' },
        { instance_type: 'm5.large', availability_zone: 'us-east-1c' },
      ],
      min_savings_percent: 10,
      on_rebalance: 'mark',
      on_demand_fallback: false,
      elastic_ip_allocation_id: allocationId,
      version: cfg.version,
      ...config,
    });
    return { agent, host, allocationId, agentId: agent.agentId };
  }
  const addressOf = async (allocationId: string) =>
    (
      (await stack.sim_('GET', '/_sim/addresses')) as unknown as Array<{
        allocation_id: string;
        instance_id: string | null;
      }>
    ).find((a) => a.allocation_id === allocationId)?.instance_id;
  const readyReplica = async (
    agentId: string,
    pool = { instance_type: 'm5.large', availability_zone: 'us-east-1c' },
  ) => {
    const r = await stack.api('POST', `/api/client/agents/${agentId}/replicas`, tenant.token, pool);
    return eventually(
      async () => {
        const i = await instance(stack, tenant, String(r.instance_id));
        return i.status === 'RUNNING' ? (i as unknown as Inst) : null;
      },
      90_000,
      100,
    );
  };

  it('notice with a ready replica: promoted before the deadline, the address moved, outcome in_time', async () => {
    const w = await workload('em-1');
    const replica = await readyReplica(w.agentId);
    await stack.sim_('POST', `/_sim/instances/${w.host}/interrupt`, { notice_seconds: 120 });
    const done = await resolved(w.host);
    expect(done).toMatchObject({ response: 'promoted_replica', outcome: 'in_time' });
    expect(done.serving_after_seconds).toBeLessThan(6); // 120 simulated s = 6 real s at speed 20
    expect(await addressOf(w.allocationId)).toBe(replica.cloud_instance_id);
    expect((await primaryOf(w.agentId)).map((p) => p.instance_id)).toEqual([replica.instance_id]);
    // The same notice also came through EventBridge: one response, both sources.
    const both = await eventually(
      async () => {
        const i = (await interruptions()).find(
          (x) => x.cloud_instance_id === w.host && x.kind === 'termination_notice',
        );
        return i && i.sources.length === 2 ? i : null;
      },
      30_000,
      100,
    );
    expect([...both.sources].sort()).toEqual(['agent', 'eventbridge']);
    const switches = (await stack.api('GET', `/api/client/switches?agent_id=${w.agentId}`, tenant.token))
      .switches as unknown[];
    expect(switches).toHaveLength(1);
  }, 180_000);

  it('notice without a replica: a replacement in another pool, downtime recorded', async () => {
    const w = await workload('em-2');
    await stack.sim_('POST', `/_sim/instances/${w.host}/interrupt`, { notice_seconds: 120 });
    const n = await noticeFor(w.host);
    expect(n.response).toBe('replacement_launched');
    const done = await resolved(w.host);
    expect(['in_time', 'late']).toContain(done.outcome);
    const [primary] = await primaryOf(w.agentId);
    expect(primary?.status).toBe('RUNNING');
    expect(`${primary?.instance_type}@${primary?.availability_zone}`).not.toBe('c5.large@us-east-1a');
    expect(await addressOf(w.allocationId)).toBe(primary?.cloud_instance_id);
    const [sw] = (await stack.api('GET', `/api/client/switches?agent_id=${w.agentId}`, tenant.token))
      .switches as Array<Record<string, unknown>>;
    expect(sw).toMatchObject({ trigger: 'termination_notice', status: 'COMPLETED' });
    expect(sw?.downtime_seconds).not.toBeNull();
  }, 180_000);

  it('notice during a switch away from the interrupted primary: that switch is the response', async () => {
    const w = await workload('em-6');
    const started = await stack.api('POST', `/api/client/agents/${w.agentId}/switch`, tenant.token, {
      instance_type: 'm5.large',
      availability_zone: 'us-east-1c',
    });
    await stack.sim_('POST', `/_sim/instances/${w.host}/interrupt`, { notice_seconds: 120 });
    const done = await resolved(w.host);
    expect(done).toMatchObject({ response: 'replacement_launched', switch_id: started.switch_id });
    expect(['in_time', 'late']).toContain(done.outcome);
    const switches = (await stack.api('GET', `/api/client/switches?agent_id=${w.agentId}`, tenant.token))
      .switches as Array<{
      status: string;
    }>;
    expect(switches.map((x) => x.status)).toEqual(['COMPLETED']);
    const [p] = await primaryOf(w.agentId);
    expect(await addressOf(w.allocationId)).toBe(p?.cloud_instance_id);
  }, 180_000);

  it('two agents interrupted at once, one of them with its replica interrupted too: each answered on its own', async () => {
    const a = await workload('em-3');
    const b = await workload('em-4');
    const bReplica = await readyReplica(b.agentId, {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1b',
    });
    await Promise.all([
      stack.sim_('POST', `/_sim/instances/${a.host}/interrupt`, { notice_seconds: 120 }),
      stack.sim_('POST', `/_sim/instances/${b.host}/interrupt`, { notice_seconds: 120 }),
      stack.sim_('POST', `/_sim/instances/${bReplica.cloud_instance_id}/interrupt`, { notice_seconds: 120 }),
    ]);
    const [ra, rb] = await Promise.all([resolved(a.host, 150_000), resolved(b.host, 150_000)]);
    expect(ra.outcome === 'in_time' || ra.outcome === 'late').toBe(true);
    expect(rb.outcome === 'in_time' || rb.outcome === 'late').toBe(true);
    // Each ends with a serving primary that is neither its interrupted host nor the interrupted replica.
    for (const w of [a, b]) {
      const p = await eventually(
        async () => {
          const [x] = await primaryOf(w.agentId);
          return x?.status === 'RUNNING' &&
            x.cloud_instance_id !== w.host &&
            x.instance_id !== bReplica.instance_id
            ? x
            : null;
        },
        120_000,
        200,
      );
      expect(await addressOf(w.allocationId)).toBe(p.cloud_instance_id);
    }
  }, 240_000);

  it('every spot pool down: on-demand fallback, then back to spot when a pool returns', async () => {
    const w = await workload('em-5', {
      on_demand_fallback: true,
      candidate_pools: [
        { instance_type: 'r5.large', availability_zone: 'us-east-1a' },
        { instance_type: 'r5.large', availability_zone: 'us-east-1b' },
      ],
    });
    for (const az of ['us-east-1a', 'us-east-1b'])
      await stack.sim_('POST', '/_sim/pools/outage', {
        instance_type: 'r5.large',
        availability_zone: az,
        duration_seconds: 200,
      });
    await stack.sim_('POST', `/_sim/instances/${w.host}/interrupt`, { notice_seconds: 120 });
    // Spot replacements fail for lack of capacity (each failure marks its pool), then on-demand.
    const fallback = await eventually(
      async () => {
        const [p] = await primaryOf(w.agentId);
        return p?.market === 'on-demand' && p.status === 'RUNNING' ? p : null;
      },
      150_000,
      200,
    );
    expect(fallback.instance_type).toBe('c5.large');
    // After the outage (200 simulated s) and the minimum time on on-demand, back to spot.
    const back = await eventually(
      async () => {
        const [p] = await primaryOf(w.agentId);
        return p?.market === 'spot' && p.status === 'RUNNING' && p.instance_type === 'r5.large' ? p : null;
      },
      150_000,
      250,
    );
    expect(back.market).toBe('spot');
    const triggers = (
      (await stack.api('GET', `/api/client/switches?agent_id=${w.agentId}`, tenant.token)).switches as Array<{
        trigger: string;
        status: string;
      }>
    ).map((s) => `${s.trigger}:${s.status}`);
    expect(triggers).toContain('fallback:COMPLETED');
    expect(triggers).toContain('return_to_spot:COMPLETED');
  }, 300_000);

  it('a rebalance storm: pre-warmed replicas stay within the fleet-wide cap', async () => {
    const ws: Array<Awaited<ReturnType<typeof workload>>> = [];
    for (let n = 0; n < 4; n++) ws.push(await workload(`rb-${n}`, { on_rebalance: 'replica' }));
    await Promise.all(ws.map((w) => stack.sim_('POST', `/_sim/instances/${w.host}/rebalance`, {})));
    const answered = await eventually(
      async () => {
        const rs = (await interruptions()).filter(
          (i) =>
            i.kind === 'rebalance_recommendation' &&
            ws.some((w) => w.host === i.cloud_instance_id) &&
            i.response,
        );
        return rs.length === ws.length ? rs : null;
      },
      60_000,
      100,
    );
    const prewarmed = answered.filter((r) => r.response === 'replica_prewarmed').length;
    expect(prewarmed).toBeLessThanOrEqual(2);
    expect(answered.filter((r) => r.response === 'rate_limited').length).toBe(ws.length - prewarmed);
  }, 180_000);
});
