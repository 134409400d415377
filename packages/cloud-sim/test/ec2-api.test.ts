// Behaviour of the EC2 Query API through the real @aws-sdk/client-ec2.

import {
  CreateTagsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeSpotPriceHistoryCommand,
  paginateDescribeSpotPriceHistory,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
} from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, control, ec2, manualTime, sdkError, startSim } from './helpers.ts';

afterAll(closeAll);

const spot = (over: Partial<RunInstancesCommandInput> = {}): RunInstancesCommandInput => ({
  ImageId: 'ami-0abcdef1234567890',
  InstanceType: 'c5.large',
  MinCount: 1,
  MaxCount: 1,
  Placement: { AvailabilityZone: 'us-east-1a' },
  InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time' } },
  ...over,
});

describe('RunInstances / DescribeInstances / TerminateInstances', () => {
  it('launches a tagged spot instance that goes pending → running after the boot delay', async () => {
    const time = manualTime();
    const sim = await startSim({ bootDelaySeconds: 20, realNow: time.now });
    const client = ec2(sim.url);
    const out = await client.send(
      new RunInstancesCommand(
        spot({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'agent', Value: 'web-1' }] }] }),
      ),
    );
    const inst = out.Instances![0]!;
    expect(inst.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(inst.State).toEqual({ Code: 0, Name: 'pending' });
    expect(inst.InstanceLifecycle).toBe('spot');
    expect(inst.Placement?.AvailabilityZone).toBe('us-east-1a');
    expect(inst.Tags).toEqual([{ Key: 'agent', Value: 'web-1' }]);
    expect(inst.LaunchTime).toBeInstanceOf(Date);
    expect(out.ReservationId).toMatch(/^r-/);

    const describe = async () =>
      (await client.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }))).Reservations![0]!
        .Instances![0]!;
    time.advance(19_999);
    expect((await describe()).State?.Name).toBe('pending');
    time.advance(1);
    const running = await describe();
    expect(running.State).toEqual({ Code: 16, Name: 'running' });
    expect(running.StateReason).toBeUndefined();

    const t = await client.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    expect(t.TerminatingInstances).toEqual([
      {
        InstanceId: inst.InstanceId,
        CurrentState: { Code: 32, Name: 'shutting-down' },
        PreviousState: { Code: 16, Name: 'running' },
      },
    ]);
    time.advance(4_999);
    expect((await describe()).State?.Name).toBe('shutting-down');
    time.advance(1);
    const last = await describe();
    expect(last.State).toEqual({ Code: 48, Name: 'terminated' });
    expect(last.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
  });

  it('works with the SDK waiters waitUntilInstanceRunning and waitUntilInstanceTerminated', async () => {
    // The waiters poll on the real clock (no assertion depends on how fast the machine is).
    const sim = await startSim({ speed: 40, bootDelaySeconds: 40 });
    const client = ec2(sim.url);
    const out = await client.send(new RunInstancesCommand(spot()));
    const InstanceIds = [out.Instances![0]!.InstanceId!];
    const result = await waitUntilInstanceRunning(
      { client, minDelay: 1, maxDelay: 1, maxWaitTime: 30 },
      { InstanceIds },
    );
    expect(result.state).toBe('SUCCESS');
    await client.send(new TerminateInstancesCommand({ InstanceIds }));
    const gone = await waitUntilInstanceTerminated({ client, minDelay: 1, maxWaitTime: 30 }, { InstanceIds });
    expect(gone.state).toBe('SUCCESS');
  });

  it('honours ClientToken: the same token returns the same instance and launches nothing new', async () => {
    const sim = await startSim();
    const client = ec2(sim.url);
    const a = await client.send(new RunInstancesCommand(spot({ ClientToken: 'req-42' })));
    const b = await client.send(new RunInstancesCommand(spot({ ClientToken: 'req-42' })));
    expect(b.Instances!.map((i) => i.InstanceId)).toEqual(a.Instances!.map((i) => i.InstanceId));
    expect(b.Instances![0]!.ClientToken).toBe('req-42');
    const all = await client.send(new DescribeInstancesCommand({}));
    expect(all.Reservations!.flatMap((r) => r.Instances!)).toHaveLength(1);
    const mismatch = await sdkError(
      client.send(new RunInstancesCommand(spot({ ClientToken: 'req-42', MaxCount: 2 }))),
    );
    expect(mismatch.name).toBe('IdempotentParameterMismatch');
  });

  it('launches MaxCount on-demand instances in one reservation', async () => {
    const sim = await startSim();
    const client = ec2(sim.url);
    const out = await client.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 3,
      }),
    );
    expect(out.Instances).toHaveLength(3);
    expect(out.Instances!.map((i) => i.AmiLaunchIndex)).toEqual([0, 1, 2]);
    expect(out.Instances![0]!.InstanceLifecycle).toBeUndefined();
    const d = await client.send(new DescribeInstancesCommand({}));
    expect(d.Reservations).toHaveLength(1);
    expect(d.Reservations![0]!.ReservationId).toBe(out.ReservationId);
  });

  it('filters by state, tag, type, zone and lifecycle', async () => {
    const sim = await startSim();
    const client = ec2(sim.url);
    const tag = (v: string) => [{ ResourceType: 'instance' as const, Tags: [{ Key: 'agent', Value: v }] }];
    const a = (await client.send(new RunInstancesCommand(spot({ TagSpecifications: tag('web-1') }))))
      .Instances![0]!;
    const b = (
      await client.send(
        new RunInstancesCommand({
          ImageId: 'ami-12345678',
          InstanceType: 'm5.large',
          MinCount: 1,
          MaxCount: 1,
          Placement: { AvailabilityZone: 'us-east-1b' },
          TagSpecifications: tag('db-1'),
        }),
      )
    ).Instances![0]!;
    await client.send(new TerminateInstancesCommand({ InstanceIds: [b.InstanceId!] }));
    const ids = async (Filters: { Name: string; Values: string[] }[]) =>
      (await client.send(new DescribeInstancesCommand({ Filters }))).Reservations!.flatMap((r) =>
        r.Instances!.map((i) => i.InstanceId),
      );
    expect(await ids([{ Name: 'tag:agent', Values: ['web-1'] }])).toEqual([a.InstanceId]);
    expect(await ids([{ Name: 'tag:agent', Values: ['*-1'] }])).toEqual([a.InstanceId, b.InstanceId]);
    expect(await ids([{ Name: 'instance-state-name', Values: ['pending', 'running'] }])).toEqual([
      a.InstanceId,
    ]);
    expect(await ids([{ Name: 'instance-state-name', Values: ['shutting-down'] }])).toEqual([b.InstanceId]);
    expect(await ids([{ Name: 'instance-type', Values: ['m5.large'] }])).toEqual([b.InstanceId]);
    expect(await ids([{ Name: 'availability-zone', Values: ['us-east-1a'] }])).toEqual([a.InstanceId]);
    expect(await ids([{ Name: 'instance-lifecycle', Values: ['spot'] }])).toEqual([a.InstanceId]);
    expect(
      await ids([
        { Name: 'instance-lifecycle', Values: ['spot'] },
        { Name: 'tag:agent', Values: ['db-1'] },
      ]),
    ).toEqual([]);
    const bad = await sdkError(
      client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] })),
    );
    expect(bad.name).toBe('InvalidParameterValue');
  });

  it('adds tags with CreateTags', async () => {
    const sim = await startSim();
    const client = ec2(sim.url);
    const id = (await client.send(new RunInstancesCommand(spot()))).Instances![0]!.InstanceId!;
    await client.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'Name', Value: 'host' }] }));
    const d = await client.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['host'] }] }),
    );
    expect(d.Reservations![0]!.Instances![0]!.Tags).toEqual([{ Key: 'Name', Value: 'host' }]);
    const missing = await sdkError(
      client.send(
        new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
      ),
    );
    expect(missing.name).toBe('InvalidInstanceID.NotFound');
  });

  it('reports instance status (running only, or all with IncludeAllInstances)', async () => {
    const time = manualTime();
    const sim = await startSim({ bootDelaySeconds: 20, realNow: time.now });
    const client = ec2(sim.url);
    const id = (await client.send(new RunInstancesCommand(spot()))).Instances![0]!.InstanceId!;
    const pendingOnly = await client.send(new DescribeInstanceStatusCommand({}));
    expect(pendingOnly.InstanceStatuses).toEqual([]);
    const all = await client.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }));
    expect(all.InstanceStatuses![0]).toMatchObject({
      InstanceId: id,
      AvailabilityZone: 'us-east-1a',
      InstanceState: { Code: 0, Name: 'pending' },
      InstanceStatus: { Status: 'not-applicable' },
    });
    time.advance(20_000);
    const status = async () =>
      (await client.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }))).InstanceStatuses![0]!;
    const running = await status();
    expect(running.InstanceState).toEqual({ Code: 16, Name: 'running' });
    // status checks initialise for two simulated minutes after boot, then pass
    expect(running.SystemStatus?.Status).toBe('initializing');
    time.advance(120_000);
    expect((await status()).SystemStatus).toEqual({
      Status: 'ok',
      Details: [{ Name: 'reachability', Status: 'passed' }],
    });
  });

  it('launches any catalogue type in any zone of the region, spot or on-demand (t3.medium)', async () => {
    const sim = await startSim();
    const client = ec2(sim.url);
    for (const az of ['us-east-1a', 'us-east-1d', 'us-east-1f']) {
      const out = await client.send(
        new RunInstancesCommand(spot({ InstanceType: 't3.medium', Placement: { AvailabilityZone: az } })),
      );
      expect(out.Instances![0]).toMatchObject({
        InstanceType: 't3.medium',
        Placement: { AvailabilityZone: az },
      });
    }
    const od = await client.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        InstanceType: 'm7g.4xlarge',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    expect(od.Instances![0]!.InstanceType).toBe('m7g.4xlarge');
    // without a zone, spot goes to the cheapest one
    const cheapest = (await control(sim.url, 'GET', '/pools?instance_type=t4g.micro')).body.pools.sort(
      (a: any, b: any) => a.spot_price - b.spot_price,
    )[0];
    const anyZone = await client.send(
      new RunInstancesCommand(spot({ InstanceType: 't4g.micro', Placement: undefined })),
    );
    expect(anyZone.Instances![0]!.Placement?.AvailabilityZone).toBe(cheapest.availability_zone);
  });

  it('describes the availability zones of the region', async () => {
    const sim = await startSim();
    const out = await ec2(sim.url).send(new DescribeAvailabilityZonesCommand({}));
    // us-east-1 has six zones (a…f); every one can launch every type in the catalogue
    expect(out.AvailabilityZones!.map((z) => [z.ZoneName, z.ZoneId, z.State])).toEqual(
      [...'abcdef'].map((l, i) => [`us-east-1${l}`, `use1-az${i + 1}`, 'available']),
    );
  });
});

describe('EC2 errors', () => {
  it('answers bad parameters with EC2 error codes and stays up', async () => {
    const sim = await startSim();
    const client = ec2(sim.url);
    const cases: [RunInstancesCommandInput, string][] = [
      [spot({ InstanceType: 'x9.mega' as never }), 'InvalidParameterValue'],
      [spot({ Placement: { AvailabilityZone: 'us-east-1q' } }), 'InvalidParameterValue'],
      [spot({ ImageId: 'not-an-ami' }), 'InvalidAMIID.Malformed'],
      [spot({ MinCount: 3, MaxCount: 1 }), 'InvalidParameterValue'],
      [spot({ MaxCount: 0 }), 'InvalidParameterValue'],
      [{ ...spot(), InstanceType: undefined }, 'MissingParameter'],
      [
        spot({ InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: 'cheap' } } }),
        'InvalidParameterValue',
      ],
      [
        spot({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'aws:x', Value: 'y' }] }] }),
        'InvalidParameterValue',
      ],
    ];
    for (const [input, code] of cases) {
      const err = await sdkError(client.send(new RunInstancesCommand(input)));
      expect([err.name, err.status]).toEqual([code, 400]);
    }
    const malformed = await sdkError(client.send(new TerminateInstancesCommand({ InstanceIds: ['i-xyz'] })));
    expect(malformed.name).toBe('InvalidInstanceID.Malformed');
    const unknown = await sdkError(
      client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    );
    expect(unknown.name).toBe('InvalidInstanceID.NotFound');
    expect(unknown.message).toContain("'i-0123456789abcdef0'");
    // nothing was launched by any of the failures
    expect((await client.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
  });

  it('refuses a spot max price below the current price with SpotMaxPriceTooLow', async () => {
    const sim = await startSim();
    const err = await sdkError(
      ec2(sim.url).send(
        new RunInstancesCommand(
          spot({ InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.001' } } }),
        ),
      ),
    );
    expect([err.name, err.status]).toEqual(['SpotMaxPriceTooLow', 400]);
  });

  it('fails launches into a pool during a capacity outage, until it ends', async () => {
    const sim = await startSim();
    const client = ec2(sim.url, 3);
    const set = await control(sim.url, 'POST', '/pools/outage', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
    });
    expect(set.status).toBe(201);
    const err = await sdkError(client.send(new RunInstancesCommand(spot())));
    expect([err.name, err.status]).toEqual(['InsufficientInstanceCapacity', 500]);
    // other pools are unaffected
    await client.send(new RunInstancesCommand(spot({ Placement: { AvailabilityZone: 'us-east-1b' } })));
    const end = await control(
      sim.url,
      'DELETE',
      '/pools/outage?instance_type=c5.large&availability_zone=us-east-1a',
    );
    expect(end.status).toBe(200);
    const ok = await client.send(new RunInstancesCommand(spot()));
    expect(ok.Instances).toHaveLength(1);
  });

  it('injects throttling: the SDK retries RequestLimitExceeded (503) and then succeeds', async () => {
    const sim = await startSim();
    await control(sim.url, 'POST', '/faults', {
      action: 'DescribeInstances',
      error_code: 'RequestLimitExceeded',
      count: 1,
    });
    const once = await sdkError(ec2(sim.url, 1).send(new DescribeInstancesCommand({})));
    expect([once.name, once.status]).toEqual(['RequestLimitExceeded', 503]);
    await control(sim.url, 'POST', '/faults', {
      action: 'DescribeInstances',
      error_code: 'RequestLimitExceeded',
      count: 1,
    });
    const retried = await ec2(sim.url, 3).send(new DescribeInstancesCommand({}));
    expect(retried.Reservations).toEqual([]);
  });

  it('answers unknown actions, unsigned requests and garbage with EC2 XML errors', async () => {
    const sim = await startSim();
    const post = (body: string, headers: Record<string, string> = { authorization: 'AWS4-HMAC-SHA256 x' }) =>
      fetch(`${sim.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
    const unknown = await post('Action=LaunchRockets&Version=2016-11-15');
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
    const unsigned = await post('Action=DescribeInstances&Version=2016-11-15', {});
    expect(unsigned.status).toBe(401);
    expect(await unsigned.text()).toContain('<Code>AuthFailure</Code>');
    const noAction = await post('%%%&&&=');
    expect(noAction.status).toBe(400);
    expect(await noAction.text()).toContain('<Code>MissingParameter</Code>');
    const badToken = await post('Action=DescribeSpotPriceHistory&NextToken=bogus');
    expect(await badToken.text()).toContain('<Code>InvalidPaginationToken</Code>');
    const huge = await post(`Action=DescribeInstances&x=${'a'.repeat(1_100_000)}`).catch(() => undefined);
    if (huge) expect(huge.status).toBe(413);
    // still serving
    expect((await ec2(sim.url).send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
  });
});

describe('DescribeSpotPriceHistory', () => {
  it('pages through the history newest first and never shows the future', async () => {
    const time = manualTime();
    const sim = await startSim({ speed: 1, realNow: time.now });
    const client = ec2(sim.url);
    const now = time.advance(60_000);
    const all: { t: number; az: string; type: string; price: string }[] = [];
    for await (const page of paginateDescribeSpotPriceHistory(
      { client, pageSize: 100 },
      { StartTime: new Date(now - 3600_000), ProductDescriptions: ['Linux/UNIX'] },
    )) {
      expect(page.SpotPriceHistory!.length).toBeLessThanOrEqual(100);
      for (const r of page.SpotPriceHistory!) {
        all.push({
          t: r.Timestamp!.getTime(),
          az: r.AvailabilityZone!,
          type: r.InstanceType!,
          price: r.SpotPrice!,
        });
      }
    }
    // at the start every pool reports the price in force: the 12 of the shipped trace and the
    // synthetic ones, one per catalogue type in each of the six zones
    const pools = (await control(sim.url, 'GET', '/pools')).body.pools as any[];
    expect(pools).toHaveLength(87 * 6);
    expect(all).toHaveLength(pools.length);
    expect(new Set(all.map((r) => `${r.type}|${r.az}`)).size).toBe(pools.length);
    expect(pools.filter((p) => p.price_source === 'trace')).toHaveLength(12);
    expect(all.every((r) => r.t <= now)).toBe(true);
    expect(all.every((r) => /^\d+\.\d{6}$/.test(r.price))).toBe(true);
    const times = all.map((r) => r.t);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('filters by type, zone and filter, and windows by time', async () => {
    const start = new Date('2025-01-01T00:00:00Z');
    const time = manualTime();
    const w0 = time.now();
    const sim = await startSim({
      speed: 3600 * 24, // one real second = one simulated day
      startTime: start,
      realNow: time.now,
    });
    const client = ec2(sim.url);
    time.advance(2_000); // two simulated days of trace become history
    // StartTime/EndTime are wall-clock times: simulated day 2 is the second real second after the start
    const out = await client.send(
      new DescribeSpotPriceHistoryCommand({
        InstanceTypes: ['c5.large'],
        AvailabilityZone: 'us-east-1a',
        StartTime: new Date(w0 + 1000),
        EndTime: new Date(w0 + 2000),
      }),
    );
    const rows = out.SpotPriceHistory!;
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.every((r) => r.InstanceType === 'c5.large' && r.AvailabilityZone === 'us-east-1a')).toBe(
      true,
    );
    // one record may be from before the window (the price in force at its start), the rest inside it
    // (timestamps are printed to the whole second, so "inside" starts at the window's whole second)
    const inside = rows.filter((r) => r.Timestamp!.getTime() >= Math.floor((w0 + 1000) / 1000) * 1000);
    expect(rows.length - inside.length).toBeLessThanOrEqual(1);
    expect(inside.every((r) => r.Timestamp!.getTime() <= w0 + 2000)).toBe(true);
    const viaFilter = await client.send(
      new DescribeSpotPriceHistoryCommand({
        Filters: [
          { Name: 'instance-type', Values: ['r5.*'] },
          { Name: 'availability-zone', Values: ['us-east-1c'] },
        ],
      }),
    );
    // r5.large from the trace, the other r5 sizes synthetic: the filter sees them all, and only them
    const seen = viaFilter.SpotPriceHistory!;
    expect(new Set(seen.map((r) => `${r.InstanceType}|${r.AvailabilityZone}`))).toEqual(
      new Set(['large', 'xlarge', '2xlarge', '4xlarge'].map((size) => `r5.${size}|us-east-1c`)),
    );
    // a synthetic pool in a zone the trace does not have (us-east-1f), by type and zone
    const synthetic = await client.send(
      new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['t3.medium'], AvailabilityZone: 'us-east-1f' }),
    );
    const prices = synthetic.SpotPriceHistory!.map((r) => Number(r.SpotPrice));
    expect(prices.length).toBeGreaterThan(1);
    for (const p of prices) {
      expect(p).toBeGreaterThanOrEqual(0.0416 * 0.2);
      expect(p).toBeLessThanOrEqual(0.0416 * 0.45);
    }
    const bad = await sdkError(
      client.send(
        new DescribeSpotPriceHistoryCommand({
          StartTime: new Date(2020, 1, 2),
          EndTime: new Date(2020, 1, 1),
        }),
      ),
    );
    expect(bad.name).toBe('InvalidParameterValue');
    const badMax = await sdkError(client.send(new DescribeSpotPriceHistoryCommand({ MaxResults: 5000 })));
    expect(badMax.name).toBe('InvalidParameterValue');
  });
});
