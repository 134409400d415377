import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { history, instance, launch, simInstancesFor } from '../support/fleet.ts';
import type { SseStream } from '../support/sse.ts';
import { type AgentHandle, eventually, Stack, type Tenant } from '../support/stack.ts';

/**
 * Spot interruptions: the notice the agent reads from its own IMDS, and the reclaim it sees
 * when an instance disappears without our command.
 */
describe('spot interruptions through a real agent', () => {
  let stack: Stack;
  let tenant: Tenant;
  let stream: SseStream;
  let agent: AgentHandle;
  let hostRecord: string;

  beforeAll(async () => {
    stack = await Stack.start({ speed: 20 });
    tenant = await stack.createTenant();
    stream = await stack.openStream(tenant);
    agent = await stack.startAgent(tenant, { logicalId: 'api-1' });
    const registered = await agent.proc.waitForLog('agent registered');
    hostRecord = String(registered.instance_id);
  });
  afterAll(async () => {
    stream?.close();
    await stack?.stop();
  });

  it('a launched instance reclaimed by AWS ends TERMINATED with source external', async () => {
    const { instance_id } = await launch(stack, tenant, {
      agent_id: agent.agentId,
      instance_type: 'm5.large',
      availability_zone: 'us-east-1a',
    });
    await stream.waitFor((e) => e.type === 'INSTANCE_RUNNING' && e.data.data?.instance_id === instance_id);
    const [sim] = await simInstancesFor(stack, instance_id);
    await stack.sim_('POST', `/_sim/instances/${sim?.instance_id}/interrupt`, { notice_seconds: 20 });
    await stream.waitFor(
      (e) => e.type === 'INSTANCE_TERMINATED' && e.data.data?.instance_id === instance_id,
      60_000,
    );
    const last = (await history(stack, tenant, instance_id)).at(-1);
    expect(last).toMatchObject({
      event_type: 'TERMINATE_CONFIRMED',
      from_status: 'RUNNING',
      to_status: 'TERMINATED',
      source: 'external',
    });
    expect((await stack.sim_('GET', `/_sim/instances/${sim?.instance_id}`)).state).toBe('terminated');
  });

  it('an injected termination notice on its own host → interruption recorded, then TERMINATED (external)', async () => {
    expect(hostRecord).not.toBe('null');
    expect((await instance(stack, tenant, hostRecord)).status).toBe('RUNNING');
    const notice = await stack.sim_('POST', `/_sim/instances/${agent.hostInstanceId}/interrupt`, {
      notice_seconds: 120,
    });

    const emergency = await stream.waitFor((e) => e.type === 'EMERGENCY_EVENT');
    expect(emergency.data.data).toMatchObject({
      kind: 'termination_notice',
      cloud_instance_id: agent.hostInstanceId,
      instance_id: hostRecord,
      action: 'terminate',
    });
    const interruptions = (await stack.api('GET', '/api/client/interruptions', tenant.token))
      .interruptions as Record<string, unknown>[];
    expect(interruptions).toHaveLength(1);
    expect(interruptions[0]).toMatchObject({
      kind: 'termination_notice',
      agent_id: agent.agentId,
      instance_id: hostRecord,
      cloud_instance_id: agent.hostInstanceId,
      action: 'terminate',
    });
    expect(new Date(String(interruptions[0]?.deadline)).getTime()).toBe(
      new Date(String(notice.instance_action_time)).getTime(),
    );

    // 120 simulated seconds later AWS takes the host away; the agent reports it as external.
    await stream.waitFor(
      (e) => e.type === 'INSTANCE_TERMINATED' && e.data.data?.instance_id === hostRecord,
      60_000,
    );
    const events = await history(stack, tenant, hostRecord);
    expect(events.map((e) => e.event_type)).toContain('INTERRUPTION_NOTICE');
    expect(events.at(-1)).toMatchObject({ event_type: 'TERMINATE_CONFIRMED', source: 'external' });
    const sim = await stack.sim_('GET', `/_sim/instances/${agent.hostInstanceId}`);
    expect(['shutting-down', 'terminated']).toContain(sim.state);
    // Reported once, though the agent kept polling IMDS while the notice stood.
    expect(agent.proc.json.filter((l) => l.msg === 'spot termination notice').length).toBe(1);
  });

  it('a rebalance recommendation is recorded once', async () => {
    const other = await stack.startAgent(tenant, { logicalId: 'api-2' });
    await stack.sim_('POST', `/_sim/instances/${other.hostInstanceId}/rebalance`, {});
    const list = await eventually(async () => {
      const res = (await stack.api('GET', '/api/client/interruptions', tenant.token)).interruptions as Record<
        string,
        unknown
      >[];
      return res.filter((i) => i.kind === 'rebalance_recommendation').length > 0 && res;
    });
    const rebalance = list.filter((i) => i.kind === 'rebalance_recommendation');
    expect(rebalance).toHaveLength(1);
    expect(rebalance[0]).toMatchObject({ agent_id: other.agentId, cloud_instance_id: other.hostInstanceId });
  });
});
