// Every time the simulator hands out over HTTP is wall-clock time, even when its clock runs fast: the
// server, agent and dashboard run on the real clock (with their intervals divided by the same speed).

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
import { closeAll, control, ec2, startSim, until } from './helpers.ts';

const SIM0 = new Date('2024-01-01T00:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'cloud-sim-wall-'));

afterAll(async () => {
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Times are printed to the whole second (the fraction is dropped). */
const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/** The wall-clock instant the simulator started at, from its own clock report. */
async function wallStart(url: string, simStart: Date) {
  const clock = (await control(url, 'GET', '/clock')).body as { now: string; sim_now: string; speed: number };
  return Date.parse(clock.now) - (Date.parse(clock.sim_now) - simStart.getTime()) / clock.speed;
}

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

describe('wall-clock timestamps at speed > 1', () => {
  it('reports the wall-clock now and the simulated now on /_sim/clock', async () => {
    const before = Date.now();
    const sim = await startSim({ speed: 60, startTime: SIM0 });
    const started = Date.now();
    await sleep(500);
    const t0 = Date.now();
    const clock = (await control(sim.url, 'GET', '/clock')).body;
    const t1 = Date.now();
    expect(clock.speed).toBe(60);
    expect(Date.parse(clock.now)).toBeGreaterThanOrEqual(t0);
    expect(Date.parse(clock.now)).toBeLessThanOrEqual(t1);
    // simulated: 60 × the real time elapsed since the start, from the given start time
    const simElapsed = Date.parse(clock.sim_now) - SIM0.getTime();
    expect(simElapsed).toBeGreaterThanOrEqual(60 * (t0 - started));
    expect(simElapsed).toBeLessThanOrEqual(60 * (t1 - before));
  });

  it('gives launchTime, StateTransitionReason and pendingTime as the wall-clock time they happened', async () => {
    const sim = await startSim({ speed: 60, startTime: SIM0, bootDelaySeconds: 30 });
    const client = ec2(sim.url);
    await sleep(1_000); // a simulated minute ahead of the real clock, plus the 2024 start
    const before = Date.now();
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
    const after = Date.now();
    const inst = out.Instances![0]!;
    const launched = inst.LaunchTime!.getTime();
    expect(launched).toBeGreaterThanOrEqual(floorSecond(before));
    expect(launched).toBeLessThanOrEqual(after);

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

    // 30 simulated seconds of boot = half a real second
    await until(async () => {
      const d = await client.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
      return d.Reservations![0]!.Instances![0]!.State?.Name === 'running' ? true : undefined;
    });
    const termBefore = Date.now();
    await client.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    const termAfter = Date.now();
    const d = await client.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    const described = d.Reservations![0]!.Instances![0]!;
    expect(described.LaunchTime!.getTime()).toBe(launched);
    const m = /^User initiated \((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) GMT\)$/.exec(
      described.StateTransitionReason!,
    );
    expect(m).not.toBeNull();
    const stopped = Date.parse(`${m![1]!.replace(' ', 'T')}Z`);
    expect(stopped).toBeGreaterThanOrEqual(floorSecond(termBefore));
    expect(stopped).toBeLessThanOrEqual(termAfter);
  });

  it('sets a pool outage end in wall-clock time (duration in simulated seconds)', async () => {
    const sim = await startSim({ speed: 60, startTime: SIM0 });
    const before = Date.now();
    const set = await control(sim.url, 'POST', '/pools/outage', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
      duration_seconds: 600,
    });
    const after = Date.now();
    expect(set.status).toBe(201);
    // 600 simulated seconds = 10 real seconds from now
    const endsAt = Date.parse(set.body.until);
    expect(endsAt).toBeGreaterThanOrEqual(floorSecond(before + 10_000));
    expect(endsAt).toBeLessThanOrEqual(after + 10_000);
  });

  it('compresses price history into wall-clock time and never shows a timestamp after the real now', async () => {
    // one step per 30 simulated minutes at speed 1800 = one step per real second
    const sim = await startSim({ speed: 1800, startTime: SIM0, priceFiles: [stepTrace()] });
    const client = ec2(sim.url);
    await sleep(3_400);
    const w0 = await wallStart(sim.url, SIM0);
    const asked = Date.now();
    const out = await client.send(
      new DescribeSpotPriceHistoryCommand({
        InstanceTypes: ['c5.large'],
        StartTime: new Date(asked - 3_600_000), // the last real hour
        EndTime: new Date(asked + 86_400_000), // a future end is capped at now
      }),
    );
    const rows = out.SpotPriceHistory!.map((r) => ({ t: r.Timestamp!.getTime(), price: r.SpotPrice! }));
    // steps 0…3 have happened (3.4 real s = 102 simulated minutes), step 4 (at 4 real s) has not
    expect(rows.map((r) => r.price)).toEqual([3, 2, 1, 0].map(priceOfStep));
    for (const [i, r] of rows.entries()) {
      const k = 3 - i;
      // step k happened k real seconds after the start (printed to the whole second)
      expect(r.t).toBeLessThanOrEqual(w0 + k * 1_000 + 2);
      expect(r.t).toBeGreaterThan(w0 + k * 1_000 - 1_000 - 2);
      expect(r.t).toBeLessThanOrEqual(asked);
    }
  });

  it('reads StartTime and EndTime as wall-clock times', async () => {
    const sim = await startSim({ speed: 1800, startTime: SIM0, priceFiles: [stepTrace()] });
    const client = ec2(sim.url);
    await sleep(3_400);
    const w0 = await wallStart(sim.url, SIM0);
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
