import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { history, instance, launch, simInstancesFor } from '../support/fleet.ts';
import { eventually, Stack, type Tenant } from '../support/stack.ts';

/** Undelivered entries in an agent's outbox file (puts without their ack). */
async function outboxPending(stateDir: string): Promise<string[]> {
  let text = '';
  try {
    text = await readFile(path.join(stateDir, 'outbox', 'outbox.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const puts = new Map<string, string>();
  const acks = new Set<string>();
  for (const line of text.split('\n').filter(Boolean)) {
    const l = JSON.parse(line) as { op: string; id: string; report?: { kind: string } };
    if (l.op === 'put') puts.set(l.id, l.report?.kind ?? '?');
    else acks.add(l.id);
  }
  return [...puts].filter(([id]) => !acks.has(id)).map(([, kind]) => kind);
}

/** The agents' launch timeout (2400 simulated s = 120 real s), far above the slow boot below. */
const PATIENT = { SPOT_LAUNCH_TIMEOUT_SECONDS: '2400' };

describe('agent resilience: restarts of the server and of the agent', () => {
  let stack: Stack;
  let tenant: Tenant;

  beforeAll(async () => {
    // The server's own stuck-launch timeout must not race the outage we cause on purpose.
    stack = await Stack.start({ speed: 20, serverEnv: { LAUNCH_TIMEOUT_SECONDS: '2400' } });
    tenant = await stack.createTenant();
    // A slow-booting pool (200 simulated s = 10 real s) leaves time to break things mid-launch,
    // even on a busy machine; the agents' own launch timeout is raised to match.
    await stack.sim_('POST', '/_sim/pools', {
      instance_type: 'm5.large',
      availability_zone: 'us-east-1c',
      boot_delay_seconds: 200,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('server restarted mid-launch: nothing is lost — the confirmation waits in the outbox and the instance ends RUNNING', async () => {
    const agent = await stack.startAgent(tenant, { logicalId: 'svc-restart', env: PATIENT });
    const { instance_id } = await launch(stack, tenant, {
      agent_id: agent.agentId,
      instance_type: 'm5.large',
      availability_zone: 'us-east-1c',
    });
    await agent.proc.waitForLog('RunInstances accepted; waiting for running', { instance_id });
    await stack.stopServer();
    // The overlap under test: the server went away while AWS was still booting the instance.
    expect((await simInstancesFor(stack, instance_id))[0]?.state).toBe('pending');

    // While the server is away, AWS brings the instance up and the agent confirms into its outbox.
    const [sim] = await eventually(async () => {
      const list = await simInstancesFor(stack, instance_id);
      return list[0]?.state === 'running' && list;
    });
    await agent.proc.waitForLog('instance running: launch confirmed', { instance_id }, 30_000);
    await agent.proc.waitForLog('outbox: server unreachable, will retry', {}, 30_000);
    expect(await outboxPending(agent.stateDir)).toEqual(
      expect.arrayContaining(['instance-launched', 'command-result']),
    );

    await stack.startServer();
    const row = await eventually(async () => {
      const r = await instance(stack, tenant, instance_id);
      return r.status === 'RUNNING' && r;
    }, 60_000);
    expect(row.cloud_instance_id).toBe(sim?.instance_id);
    expect(
      await eventually(async () => (await outboxPending(agent.stateDir)).length === 0 && 'empty', 30_000),
    ).toBe('empty');
    expect((await history(stack, tenant, instance_id)).map((e) => e.event_type)).toEqual([
      'LAUNCH_REQUESTED',
      'LAUNCH_CONFIRMED',
    ]);
    expect(await simInstancesFor(stack, instance_id)).toHaveLength(1);
  });

  it('agent killed mid-launch and restarted: same agent id without the client token, no duplicate instance', async () => {
    const first = await stack.startAgent(tenant, { logicalId: 'svc-crash', env: PATIENT });
    const { instance_id } = await launch(stack, tenant, {
      agent_id: first.agentId,
      instance_type: 'm5.large',
      availability_zone: 'us-east-1c',
    });
    await first.proc.waitForLog('RunInstances accepted; waiting for running', { instance_id });
    await first.proc.stop('SIGKILL'); // a crash: no chance to tidy up

    // Same host, same state dir, and no client token: the saved identity must be enough.
    const second = await stack.startAgent(null, {
      logicalId: 'svc-crash',
      hostInstanceId: first.hostInstanceId,
      stateDir: first.stateDir,
      env: PATIENT,
    });
    expect(second.agentId).toBe(first.agentId);
    expect((await second.proc.waitForLog('agent registered')).reused_identity).toBe(true);
    await second.proc.waitForLog('resuming a command from the previous run');

    const row = await eventually(async () => {
      const r = await instance(stack, tenant, instance_id);
      return r.status === 'RUNNING' && r;
    }, 60_000);
    const sims = await simInstancesFor(stack, instance_id);
    expect(sims).toHaveLength(1); // RunInstances ran twice, with one ClientToken: one instance
    expect(row.cloud_instance_id).toBe(sims[0]?.instance_id);
    const agents = (await stack.api('GET', '/api/client/agents', tenant.token)).agents as {
      logical_id: string;
    }[];
    expect(agents.filter((a) => a.logical_id === 'svc-crash')).toHaveLength(1);
  });

  it('SIGTERM: stops taking commands, finishes the one in flight, flushes and exits 0', async () => {
    // Grace 600 simulated s = 30 real s: enough for the 10 s boot in flight.
    const agent = await stack.startAgent(tenant, {
      logicalId: 'svc-drain',
      env: { ...PATIENT, SPOT_SHUTDOWN_GRACE_SECONDS: '600' },
    });
    const { instance_id } = await launch(stack, tenant, {
      agent_id: agent.agentId,
      instance_type: 'm5.large',
      availability_zone: 'us-east-1c',
    });
    await agent.proc.waitForLog('RunInstances accepted; waiting for running', { instance_id });
    const code = await agent.proc.stop('SIGTERM', 60_000);
    expect(code).toBe(0);
    // The launch finished before exit: confirmed and delivered.
    expect(agent.proc.json.some((l) => l.msg === 'instance running: launch confirmed')).toBe(true);
    expect(agent.proc.json.at(-1)?.msg).toBe('agent stopped');
    expect((await instance(stack, tenant, instance_id)).status).toBe('RUNNING');
    expect(await outboxPending(agent.stateDir)).toEqual([]);
  });

  it('a bad configuration is refused with a message naming the variable, exit 2', async () => {
    const agent = stack.startAgent(tenant, { logicalId: 'svc-bad', env: { SPOT_POOLS: 'c5.large' } });
    await expect(agent).rejects.toThrow(/exited \(code 2\)/);
    await expect(agent).rejects.toThrow(
      /SPOT_POOLS \(--pools\): "c5.large" is not instance_type:availability_zone/,
    );
  });
});
