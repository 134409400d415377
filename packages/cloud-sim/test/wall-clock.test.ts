// Every time the simulator hands out over HTTP is wall-clock time, even when its clock runs fast: the
// server, agent and dashboard run on the real clock (with their intervals divided by the same speed).
//
// The real clock is injected (manualTime) and moved by hand, so every expectation is exact and no
// assertion races a busy machine: "3.4 real seconds later" is a number, not a sleep.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeInstancesCommand,
  DescribeSpotPriceHistoryCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { SPOT_HEADER } from '../src/core/price-csv.ts';
import { closeAll, control, ec2, manualTime, startSim } from './helpers.ts';

const SIM0 = new Date('2024-01-01T00:00:00Z');
/** The real clock at the simulator's start, with a fraction so that printing to the second shows. */
const REAL0 = Date.parse('2025-06-01T12:00:00.250Z');
const dir = mkdtempSync(join(tmpdir(), 'cloud-sim-wall-'));

afterAll(async () => {
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Times are printed to the whole second (the fraction is dropped). */
const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/** One pool (c5.large / us-east-1a) with a price step every 30 simulated minutes, price 0.0100 + k/10000. */
function stepTrace(): string {
  const rows = [SPOT_HEADER];
  for (let k = 0; k < 48; k++) {
    const at = new Date(Date.parse('2023-03-01T00:00:00Z') + k * 1_800_000).toISOString();
    rows.push(`${at},us-east-1,us-east-1a,c5.large,Linux/UNIX,${(0.01 + k / 10_000).toFixed(6)}`);
  }
  const file = join(dir, 'steps.csv');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}
const priceOfStep = (k: number) => (0.01 + k / 10_000).toFixed(6);

async function fastSim(speed: number, extra: Parameters<typeof startSim>[0] = {}) {
  const time = manualTime(REAL0);
  const sim = await startSim({ speed, startTime: SIM0, realNow: time.now, ...extra });
  return { sim, time, client: ec2(sim.url) };
}

describe('wall-clock timestamps at speed > 1', () => {
  it('reports the wall-clock now and the simulated now on /_sim/clock', async () => {
    const { sim, time } = await fastSim(60);
    time.advance(500);
    const clock = (await control(sim.url, 'GET', '/clock')).body;
    // 500 real ms at speed 60 = 30 simulated seconds from the given start
    expect(clock).toEqual({ now: iso(REAL0 + 500), sim_now: iso(SIM0.getTime() + 30_000), speed: 60 });
  });

  it('gives launchTime, StateTransitionReason and pendingTime as the wall-clock time they happened', async () => {
    const { sim, time, client } = await fastSim(60, { bootDelaySeconds: 30 });
    const launchedAt = time.advance(1_000); // a simulated minute on, plus the 2024 start
    const out = await client.send(
      new RunInstancesCommand({
        ImageId: 'ami-0abcdef1234567890',
        InstanceType: 'c5.large',
        MinCount: 1,
        MaxCount: 1,
        Placement: { AvailabilityZone: 'us-east-1a' },
        InstanceMarketOptions: { MarketType: 'spot' },
      }),
    );
    const inst = out.Instances![0]!;
    const launched = inst.LaunchTime!.getTime();
    expect(launched).toBe(floorSecond(launchedAt));
    expect(launched).not.toBe(launchedAt); // the fraction was dropped, not rounded up

    const view = await control(sim.url, 'GET', `/instances/${inst.InstanceId}`);
    expect(view.body.launch_time).toBe(inst.LaunchTime!.toISOString());

    const imds = `${sim.url}/imds/${inst.InstanceId}`;
    const token = await (
      await fetch(`${imds}/latest/api/token`, {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      })
    ).text();
    const doc = (await (
      await fetch(`${imds}/latest/dynamic/instance-identity/document`, {
        headers: { 'x-aws-ec2-metadata-token': token },
      })
    ).json()) as { pendingTime: string };
    expect(Date.parse(doc.pendingTime)).toBe(launched);

    // 30 simulated seconds of boot = half a real second: pending just before, running at it
    const state = async () =>
      (await client.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }))).Reservations![0]!
        .Instances![0]!;
    time.advance(499);
    expect((await state()).State?.Name).toBe('pending');
    time.advance(1);
    expect((await state()).State?.Name).toBe('running');

    const stoppedAt = time.advance(4_321);
    await client.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    time.advance(10_000);
    const described = await state();
    expect(described.LaunchTime!.getTime()).toBe(launched);
    expect(described.State?.Name).toBe('terminated');
    expect(described.StateTransitionReason).toBe(
      `User initiated (${iso(floorSecond(stoppedAt)).slice(0, 19).replace('T', ' ')} GMT)`,
    );
  });

  it('sets a pool outage end in wall-clock time (duration in simulated seconds)', async () => {
    const { sim, time } = await fastSim(60);
    const setAt = time.advance(1_234);
    const set = await control(sim.url, 'POST', '/pools/outage', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
      duration_seconds: 600,
    });
    expect(set.status).toBe(201);
    // 600 simulated seconds = 10 real seconds from then
    expect(set.body.until).toBe(iso(floorSecond(setAt + 10_000)));
  });

  it('compresses price history into wall-clock time and never shows a timestamp after the real now', async () => {
    // one step per 30 simulated minutes at speed 1800 = one step per real second
    const { time, client } = await fastSim(1800, { priceFiles: [stepTrace()], syntheticPrices: false });
    const asked = time.advance(3_400);
    const out = await client.send(
      new DescribeSpotPriceHistoryCommand({
        InstanceTypes: ['c5.large'],
        StartTime: new Date(asked - 3_600_000), // the last real hour
        EndTime: new Date(asked + 86_400_000), // a future end is capped at now
      }),
    );
    // steps 0…3 have happened (3.4 real s = 102 simulated minutes), step 4 (at 4 real s) has not;
    // step k happened k real seconds after the start, printed to the whole second
    expect(out.SpotPriceHistory!.map((r) => [r.SpotPrice, r.Timestamp!.getTime()])).toEqual(
      [3, 2, 1, 0].map((k) => [priceOfStep(k), floorSecond(REAL0 + k * 1_000)]),
    );
    // one real millisecond before step 4 it is still not history; at step 4 it is
    time.advance(599);
    const before = await client.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['c5.large'] }));
    expect(before.SpotPriceHistory![0]!.SpotPrice).toBe(priceOfStep(3));
    time.advance(1);
    const at = await client.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['c5.large'] }));
    expect(at.SpotPriceHistory![0]!.SpotPrice).toBe(priceOfStep(4));
  });

  it('reads StartTime and EndTime as wall-clock times', async () => {
    const { time, client } = await fastSim(1800, { priceFiles: [stepTrace()], syntheticPrices: false });
    time.advance(3_400);
    const w0 = REAL0;
    // [w0 + 1.5 s, w0 + 2.5 s] is simulated [45 min, 75 min]: step 1 (in force at the start) and step 2
    const out = await client.send(
      new DescribeSpotPriceHistoryCommand({
        InstanceTypes: ['c5.large'],
        AvailabilityZone: 'us-east-1a',
        StartTime: new Date(w0 + 1_500),
        EndTime: new Date(w0 + 2_500),
      }),
    );
    expect(out.SpotPriceHistory!.map((r) => r.SpotPrice)).toEqual([priceOfStep(2), priceOfStep(1)]);
    // [w0 + 3.1 s, w0 + 3.3 s] is simulated [93 min, 99 min]: only step 3, the price in force
    const narrow = await client.send(
      new DescribeSpotPriceHistoryCommand({ StartTime: new Date(w0 + 3_100), EndTime: new Date(w0 + 3_300) }),
    );
    expect(narrow.SpotPriceHistory!.map((r) => r.SpotPrice)).toEqual([priceOfStep(3)]);
    // a window that ended before the simulator started holds nothing: there was no history yet
    const early = await client.send(
      new DescribeSpotPriceHistoryCommand({
        StartTime: new Date(w0 - 60_000),
        EndTime: new Date(w0 - 30_000),
      }),
    );
    expect(early.SpotPriceHistory).toEqual([]);
  });
});
