import type { Command } from '@spot/contract';
import { parseBootstrapUserData } from '@spot/contract';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { CommandRunner } from '../src/commands/command-runner.ts';
import type { CommandContext } from '../src/commands/context.ts';
import { judgeTracked, reconcileTask } from '../src/loops/reconcile.ts';
import type { Report } from '../src/server-client/agent-api.ts';
import { Journal } from '../src/state-store/journal.ts';
import { FakeEc2 } from './fake-ec2.ts';

const log = pino({ level: 'silent' });

function launch(id: string, over: Record<string, unknown> = {}): Command {
  return {
    id,
    command_type: 'LAUNCH_INSTANCE',
    priority: 100,
    request_id: `req-${id}`,
    metadata: {
      instance_id: `inst-${id}`,
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
      region: 'us-east-1',
      market: 'spot',
      logical_id: 'web-1',
      role: 'REPLICA',
      ...over,
    },
    created_at: '2026-01-01T00:00:00.000Z',
  };
}

function terminate(id: string, instanceId: string, cloudId: string | null): Command {
  return {
    id,
    command_type: 'TERMINATE_INSTANCE',
    priority: 100,
    request_id: `req-${id}`,
    metadata: { instance_id: instanceId, cloud_instance_id: cloudId, reason: 'manual' },
    created_at: '2026-01-01T00:00:00.000Z',
  };
}

describe('command executors', () => {
  let ec2: FakeEc2;
  let reports: Report[];
  let journal: Journal;
  let ctx: CommandContext;
  let runner: CommandRunner;

  beforeEach(() => {
    ec2 = new FakeEc2();
    reports = [];
    journal = new Journal();
    ctx = {
      ec2,
      report: async (r) => void reports.push(r),
      journal,
      saveJournal: async () => {},
      log,
      imageId: 'ami-0123456789abcdef0',
      logicalId: 'web-1',
      serverUrl: 'http://server.test:8080',
      ownCloudInstanceId: 'i-0own',
      confirmPollMs: 1,
      launchTimeoutMs: 2_000,
      terminateTimeoutMs: 2_000,
      now: () => new Date(),
    };
    runner = new CommandRunner(ctx, journal, log);
  });

  /** One agent run: accept, then drain (which stops accepting, as at shutdown). */
  const run = async (...commands: Command[]) => {
    const r = new CommandRunner(ctx, journal, log);
    await r.accept(commands);
    expect(await r.drain(5_000)).toBe(true);
  };

  it('launch: RunInstances with the request id as ClientToken, polls to running, confirms, then reports success', async () => {
    await run(launch('c1'));
    expect(ec2.calls[0]).toBe('run:req-c1');
    expect(reports.map((r) => r.kind)).toEqual(['instance-launched', 'command-result']);
    const [confirm, result] = reports;
    expect(confirm).toMatchObject({
      kind: 'instance-launched',
      body: { instance_id: 'inst-c1', cloud_instance_id: 'i-00000001', state: 'running' },
    });
    expect(result).toMatchObject({
      commandId: 'c1',
      body: { success: true, result: { cloud_instance_id: 'i-00000001' } },
    });
    expect(journal.trackedInstance('inst-c1')?.phase).toBe('running');
  });

  it('launch: an AWS error ends in a failed result carrying the EC2 error code, no confirmation', async () => {
    ec2.runError = Object.assign(new Error('We currently do not have sufficient capacity'), {
      name: 'InsufficientInstanceCapacity',
    });
    await run(launch('c1'));
    expect(reports).toEqual([
      {
        kind: 'command-result',
        commandId: 'c1',
        body: {
          success: false,
          message: expect.stringContaining('sufficient capacity'),
          result: { error_code: 'InsufficientInstanceCapacity' },
        },
      },
    ]);
  });

  it('launch: an instance that dies while booting ends in a failed result with its state reason', async () => {
    ec2.bootScript = ['pending', 'shutting-down'];
    const origRun = ec2.runInstance.bind(ec2);
    ec2.runInstance = async (spec) => {
      const id = await origRun(spec);
      ec2.instances.get(id)!.stateReason = 'Server.InsufficientInstanceCapacity';
      return id;
    };
    await run(launch('c1'));
    expect(reports.map((r) => r.kind)).toEqual(['command-result']);
    expect(reports[0]).toMatchObject({
      body: { success: false, result: { error_code: 'Server.InsufficientInstanceCapacity' } },
    });
    expect(journal.trackedInstance('inst-c1')).toBeUndefined();
  });

  it('launch: a confirmation timeout is a failed result (LaunchTimeout) and the stray instance is terminated', async () => {
    ec2.bootScript = Array(10_000).fill('pending');
    ctx.launchTimeoutMs = 50;
    ctx.confirmPollMs = 5;
    await run(launch('c1'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ body: { success: false, result: { error_code: 'LaunchTimeout' } } });
    expect(ec2.calls).toContain('terminate:i-00000001');
  });

  it('launch: bad metadata is refused with a clear failed result, and AWS is never called', async () => {
    await run(launch('c1', { instance_type: 'DROP TABLE' }));
    expect(ec2.calls).toEqual([]);
    expect(reports[0]).toMatchObject({ body: { success: false, result: { error_code: 'InvalidCommand' } } });
  });

  it('a redelivered command is not executed twice, whether still running or done', async () => {
    ec2.bootScript = ['pending', 'pending', 'pending', 'running'];
    await runner.accept([launch('c1')]);
    await runner.accept([launch('c1')]); // redelivered while in flight
    await runner.drain(5_000);
    const again = new CommandRunner(ctx, journal, log);
    await again.accept([launch('c1')]); // redelivered after it finished
    await again.drain(5_000);
    expect(ec2.calls.filter((c) => c.startsWith('run:'))).toHaveLength(1);
    expect(reports.filter((r) => r.kind === 'command-result')).toHaveLength(1);
  });

  it('a command interrupted by a restart is resumed, and its ClientToken reuses the same instance', async () => {
    // First run: RunInstances happened, then the agent died before confirming.
    journal.started(launch('c1'), new Date());
    await ec2.runInstance({
      instanceType: 'c5.large',
      availabilityZone: 'us-east-1a',
      market: 'spot',
      imageId: 'ami-1',
      clientToken: 'req-c1',
      logicalId: 'web-1',
      instanceId: 'inst-c1',
    });
    const restarted = new CommandRunner(ctx, journal, log);
    await restarted.resume();
    await restarted.drain(5_000);
    expect(ec2.instances.size).toBe(1);
    expect(reports.map((r) => r.kind)).toEqual(['instance-launched', 'command-result']);
    expect(journal.admit('c1', new Set())).toBe('skip-done');
  });

  it('terminate: confirms only once EC2 says terminated, then reports success', async () => {
    await run(launch('c1'));
    reports.length = 0;
    await run(terminate('t1', 'inst-c1', 'i-00000001'));
    const describes = ec2.calls.filter((c) => c === 'describe:i-00000001');
    expect(describes.length).toBeGreaterThanOrEqual(4); // 2 for the launch, ≥2 until terminated
    expect(reports.map((r) => r.kind)).toEqual(['instance-terminated', 'command-result']);
    expect(reports[0]).toMatchObject({
      body: { instance_id: 'inst-c1', state: 'terminated', source: 'agent' },
    });
    expect(ec2.instances.get('i-00000001')?.state).toBe('terminated');
    expect(journal.trackedInstance('inst-c1')).toBeUndefined();
  });

  it('terminate: an AWS error is a failed result with its code; the instance stays watched', async () => {
    await run(launch('c1'));
    reports.length = 0;
    ec2.terminateError = Object.assign(new Error('Request limit exceeded.'), {
      name: 'RequestLimitExceeded',
    });
    await run(terminate('t1', 'inst-c1', 'i-00000001'));
    expect(reports).toEqual([
      expect.objectContaining({
        body: expect.objectContaining({
          success: false,
          result: expect.objectContaining({ error_code: 'RequestLimitExceeded' }),
        }),
      }),
    ]);
    expect(journal.trackedInstance('inst-c1')?.phase).toBe('running');
  });

  it('terminate: a confirmation timeout is a failed result; the instance is left to reconcile as unconfirmed', async () => {
    await run(launch('c1'));
    reports.length = 0;
    const stuck = ec2.terminateInstance.bind(ec2);
    ec2.terminateInstance = async (id) => {
      await stuck(id);
      ec2.instances.get(id)!.script = Array(1000).fill('shutting-down');
    };
    await run(terminate('t1', 'inst-c1', 'i-00000001'));
    expect(reports).toEqual([
      expect.objectContaining({
        kind: 'command-result',
        body: expect.objectContaining({
          success: false,
          result: expect.objectContaining({ error_code: 'TerminateTimeout' }),
        }),
      }),
    ]);
    expect(journal.trackedInstance('inst-c1')?.phase).toBe('unconfirmed');
  });

  it('terminate without a cloud id finds the instance by our tag', async () => {
    await run(launch('c1'));
    reports.length = 0;
    await run(terminate('t1', 'inst-c1', null));
    expect(ec2.calls).toContain('terminate:i-00000001');
  });

  it('puts the bootstrap with the join token in the user data of an instance it launches', async () => {
    await run(launch('u1', { join_token: 'soj_abcdefghijklmnopqrstuvwxyz' }));
    const [id] = [...ec2.userData.keys()];
    const boot = parseBootstrapUserData(ec2.userData.get(id!) ?? '');
    expect(boot).toEqual({
      serverUrl: 'http://server.test:8080',
      joinToken: 'soj_abcdefghijklmnopqrstuvwxyz',
      logicalId: 'web-1',
    });
    await run(launch('u2'));
    expect(ec2.userData.size).toBe(1);
  });

  const promote = (id: string, over: Record<string, unknown> = {}): Command => ({
    id,
    command_type: 'PROMOTE_REPLICA',
    priority: 75,
    request_id: `promote:${id}`,
    metadata: {
      switch_id: 'sw-1',
      instance_id: 'inst-new',
      cloud_instance_id: 'i-0own',
      from_instance_id: 'inst-old',
      from_cloud_instance_id: 'i-0old',
      elastic_ip_allocation_id: 'eipalloc-0a1',
      ...over,
    },
    created_at: '2026-01-01T00:00:00.000Z',
  });

  it('promotion moves the Elastic IP to its own instance and reports the cut-over window', async () => {
    ec2.addresses.set('eipalloc-0a1', 'i-0old');
    await run(promote('p1'));
    expect(ec2.addresses.get('eipalloc-0a1')).toBe('i-0own');
    expect(reports[0]).toMatchObject({ kind: 'command-result', commandId: 'p1', body: { success: true } });
    const result = (reports[0] as { body: { result: Record<string, string> } }).body.result;
    expect(Date.parse(result.cutover_completed_at!)).toBeGreaterThanOrEqual(
      Date.parse(result.cutover_started_at!),
    );
  });

  it('promotion without an Elastic IP succeeds at once; one aimed at another instance or refused by AWS fails', async () => {
    await run(promote('p2', { elastic_ip_allocation_id: null }));
    expect(reports.at(-1)).toMatchObject({ body: { success: true } });
    expect(ec2.calls.some((c) => c.startsWith('associate:'))).toBe(false);

    await run(promote('p3', { cloud_instance_id: 'i-0else' }));
    expect(reports.at(-1)).toMatchObject({
      body: { success: false, result: { error_code: 'NotTheTarget' } },
    });

    ec2.associateError = Object.assign(new Error('no such address'), {
      name: 'InvalidAllocationID.NotFound',
    });
    await run(promote('p4'));
    expect(reports.at(-1)).toMatchObject({
      body: { success: false, result: { error_code: 'InvalidAllocationID.NotFound' } },
    });
    await run(promote('p5', { switch_id: 42 }));
    expect(reports.at(-1)).toMatchObject({
      body: { success: false, result: { error_code: 'InvalidCommand' } },
    });
  });
});

describe('reconcile', () => {
  const t = (phase: 'launching' | 'running' | 'terminating' | 'unconfirmed') => ({
    cloud_instance_id: 'i-1',
    phase,
    since: '',
  });

  it('judges observations (pure)', () => {
    expect(judgeTracked(t('running'), 'running')).toEqual({ kind: 'none' });
    expect(judgeTracked(t('running'), 'shutting-down')).toEqual({
      kind: 'external-termination',
      state: 'shutting-down',
    });
    expect(judgeTracked(t('running'), 'gone')).toEqual({ kind: 'external-termination', state: 'gone' });
    expect(judgeTracked(t('launching'), 'terminated')).toEqual({ kind: 'none' });
    expect(judgeTracked(t('terminating'), 'shutting-down')).toEqual({ kind: 'none' });
    expect(judgeTracked(t('terminating'), 'terminated')).toEqual({ kind: 'none' });
    expect(judgeTracked(t('unconfirmed'), 'shutting-down')).toEqual({ kind: 'none' });
    expect(judgeTracked(t('unconfirmed'), 'terminated')).toEqual({ kind: 'our-termination' });
    expect(judgeTracked(t('unconfirmed'), 'gone')).toEqual({ kind: 'our-termination' });
  });

  it('reports a reclaimed instance once, as an external termination', async () => {
    const ec2 = new FakeEc2();
    const journal = new Journal();
    const reports: Report[] = [];
    const id = await ec2.runInstance({
      instanceType: 'c5.large',
      availabilityZone: 'us-east-1a',
      market: 'spot',
      imageId: 'ami-1',
      clientToken: 'x',
      logicalId: 'web-1',
      instanceId: 'inst-1',
    });
    journal.track('inst-1', id, 'running', new Date());
    const task = reconcileTask({
      ec2,
      journal,
      saveJournal: async () => {},
      report: async (r) => void reports.push(r),
      log,
    });
    await task();
    expect(reports).toEqual([]);
    ec2.reclaim(id);
    await task();
    await task();
    expect(reports).toEqual([
      {
        kind: 'instance-terminated',
        body: expect.objectContaining({
          instance_id: 'inst-1',
          cloud_instance_id: id,
          source: 'external',
          state: 'terminated',
        }),
      },
    ]);
  });
});
