// IMDSv2 per instance and the /_sim control API.

import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, control, ec2, manualTime, startSim } from './helpers.ts';

afterAll(closeAll);

async function token(base: string, ttl = '60') {
  const res = await fetch(`${base}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl },
  });
  return { status: res.status, text: await res.text() };
}

const get = (base: string, path: string, tok?: string) =>
  fetch(`${base}${path}`, { headers: tok ? { 'x-aws-ec2-metadata-token': tok } : {} });

describe('IMDSv2', () => {
  it('requires a session token and serves the instance identity', async () => {
    const sim = await startSim();
    const created = await control(sim.url, 'POST', '/instances', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1b',
      running: true,
      tags: { role: 'host' },
    });
    expect(created.status).toBe(201);
    const base = created.body.imds_endpoint as string;
    expect(base).toBe(`${sim.url}/imds/${created.body.instance_id}`);

    expect((await get(base, '/latest/meta-data/instance-id')).status).toBe(401);
    expect((await token(base, '0')).status).toBe(400);
    expect((await token(base, '21601')).status).toBe(400);
    expect((await token(base, 'soon')).status).toBe(400);
    const t = await token(base);
    expect(t.status).toBe(200);
    expect((await get(base, '/latest/meta-data/instance-id', 'wrong-token')).status).toBe(401);

    const read = async (path: string) => (await get(base, path, t.text)).text();
    expect(await read('/latest/meta-data/instance-id')).toBe(created.body.instance_id);
    expect(await read('/latest/meta-data/instance-type')).toBe('c5.large');
    expect(await read('/latest/meta-data/placement/availability-zone')).toBe('us-east-1b');
    expect(await read('/latest/meta-data/placement/region')).toBe('us-east-1');
    const doc = JSON.parse(await read('/latest/dynamic/instance-identity/document'));
    expect(doc).toMatchObject({
      instanceId: created.body.instance_id,
      region: 'us-east-1',
      availabilityZone: 'us-east-1b',
    });
    expect((await get(base, '/latest/meta-data/spot/instance-action', t.text)).status).toBe(404);
    expect((await get(base, '/latest/meta-data/events/recommendations/rebalance', t.text)).status).toBe(404);
    expect((await get(base, '/latest/meta-data/no-such-thing', t.text)).status).toBe(404);

    // a token belongs to its instance
    const other = await control(sim.url, 'POST', '/instances', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
    });
    expect((await get(other.body.imds_endpoint, '/latest/meta-data/instance-id', t.text)).status).toBe(401);
    expect(
      (await get(`${sim.url}/imds/i-0123456789abcdef0`, '/latest/meta-data/instance-id', t.text)).status,
    ).toBe(404);
  });

  it('expires tokens after their TTL', async () => {
    const time = manualTime();
    const sim = await startSim({ realNow: time.now });
    const inst = await control(sim.url, 'POST', '/instances', {
      instance_type: 'm5.large',
      availability_zone: 'us-east-1a',
      running: true,
    });
    const t = await token(inst.body.imds_endpoint, '1');
    expect((await get(inst.body.imds_endpoint, '/latest/meta-data/instance-id', t.text)).status).toBe(200);
    time.advance(999);
    expect((await get(inst.body.imds_endpoint, '/latest/meta-data/instance-id', t.text)).status).toBe(200);
    time.advance(1);
    expect((await get(inst.body.imds_endpoint, '/latest/meta-data/instance-id', t.text)).status).toBe(401);
  });

  it('shows a rebalance recommendation, then an interruption notice, then the instance terminates', async () => {
    const time = manualTime(Date.parse('2025-06-01T12:00:00.400Z'));
    const sim = await startSim({ speed: 60, realNow: time.now });
    const inst = await control(sim.url, 'POST', '/instances', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
      running: true,
    });
    const id = inst.body.instance_id as string;
    const base = inst.body.imds_endpoint as string;
    const t = (await token(base)).text;

    const rebalancedAt = time.advance(2_000);
    const rb = await control(sim.url, 'POST', `/instances/${id}/rebalance`);
    expect(rb.status).toBe(200);
    const rec = await get(base, '/latest/meta-data/events/recommendations/rebalance', t);
    expect(rec.status).toBe(200);
    const recBody = (await rec.json()) as { noticeTime: string };
    expect(Object.keys(recBody)).toEqual(['noticeTime']);
    // wall-clock time, printed to the whole second (not the simulated time two minutes on)
    expect(recBody.noticeTime).toBe(`${new Date(rebalancedAt).toISOString().slice(0, 19)}Z`);

    const noticeAt = time.advance(1_000);
    const it = await control(sim.url, 'POST', `/instances/${id}/interrupt`, { notice_seconds: 120 });
    expect(it.status).toBe(200);
    const res = await get(base, '/latest/meta-data/spot/instance-action', t);
    expect(res.status).toBe(200);
    const action = (await res.json()) as { action: string; time: string };
    expect(action.action).toBe('terminate');
    expect(action.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // 120 simulated seconds at speed 60 = 2 real seconds: the deadline is the wall-clock time of the
    // notice + 2 s (printed to the whole second, the fraction dropped), not 120 s ahead
    const deadline = Date.parse(action.time);
    expect(deadline).toBe(Math.floor((noticeAt + 2_000) / 1000) * 1000);
    const termination = await get(base, '/latest/meta-data/spot/termination-time', t);
    expect(await termination.text()).toBe(action.time);
    expect(it.body.instance_action_time).toBe(new Date(deadline).toISOString());
    expect((await control(sim.url, 'POST', `/instances/${id}/interrupt`, {})).status).toBe(409);

    // 120 simulated seconds at speed 60 = 2 real seconds, then 5 simulated seconds of shutting-down
    const described = async () =>
      (await ec2(sim.url).send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!
        .Instances![0]!;
    time.advance(1_999);
    expect((await described()).State?.Name).toBe('running');
    time.advance(1);
    expect((await described()).State?.Name).toBe('shutting-down');
    time.advance(83); // 4.98 simulated seconds
    expect((await described()).State?.Name).toBe('shutting-down');
    time.advance(1);
    const final = await described();
    expect(final.State?.Name).toBe('terminated');
    expect(final.StateReason?.Code).toBe('Server.SpotInstanceTermination');
    expect((await get(base, '/latest/meta-data/instance-id', t)).status).toBe(404);
    const view = await control(sim.url, 'GET', `/instances/${id}`);
    expect(view.body.state).toBe('terminated');
    expect(view.body.state_reason.code).toBe('Server.SpotInstanceTermination');
  });
});

describe('control API', () => {
  it('rejects bad input with 400 JSON and changes nothing', async () => {
    const sim = await startSim();
    const bad: [string, string, unknown][] = [
      ['POST', '/instances', '{not json'],
      ['POST', '/instances', { instance_type: 'c5.large' }],
      ['POST', '/instances', { instance_type: 'c5.large', availability_zone: 'us-east-1a', colour: 'red' }],
      ['POST', '/instances', { instance_type: 'x9.mega', availability_zone: 'us-east-1a' }],
      [
        'POST',
        '/instances',
        { instance_type: 'c5.large', availability_zone: 'us-east-1a', market: 'reserved' },
      ],
      [
        'POST',
        '/pools/outage',
        { instance_type: 'c5.large', availability_zone: 'us-east-1a', error_code: 'Oops' },
      ],
      [
        'POST',
        '/pools/outage',
        { instance_type: 'c5.large', availability_zone: 'us-east-1a', duration_seconds: -5 },
      ],
      ['POST', '/faults', { action: 'RebootEverything', error_code: 'RequestLimitExceeded', count: 1 }],
      ['POST', '/faults', { action: 'RunInstances', error_code: 'RequestLimitExceeded', count: 0 }],
      ['POST', '/pools', { instance_type: 'c5.large', availability_zone: 'us-east-1a', hazard_per_hour: -1 }],
    ];
    for (const [method, path, body] of bad) {
      const r = await control(sim.url, method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(typeof r.body.error.code).toBe('string');
      expect(typeof r.body.error.message).toBe('string');
    }
    const id = (
      await control(sim.url, 'POST', '/instances', {
        instance_type: 'c5.large',
        availability_zone: 'us-east-1a',
      })
    ).body.instance_id;
    expect(
      (await control(sim.url, 'POST', `/instances/${id}/interrupt`, { notice_seconds: 'soon' })).status,
    ).toBe(400);
    expect(
      (await control(sim.url, 'POST', `/instances/${id}/interrupt`, { action: 'hibernate' })).status,
    ).toBe(400);
    expect((await control(sim.url, 'POST', '/instances/i-0123456789abcdef0/interrupt', {})).status).toBe(404);
    expect((await control(sim.url, 'GET', '/instances/i-0123456789abcdef0')).status).toBe(404);
    expect(
      (await control(sim.url, 'DELETE', '/pools/outage?instance_type=c5.large&availability_zone=us-east-1a'))
        .status,
    ).toBe(404);
    expect((await control(sim.url, 'GET', '/nothing-here')).status).toBe(404);
    const od = await control(sim.url, 'POST', '/instances', {
      instance_type: 'm5.large',
      availability_zone: 'us-east-1a',
      market: 'on-demand',
    });
    expect((await control(sim.url, 'POST', `/instances/${od.body.instance_id}/rebalance`)).status).toBe(409);
    const list = await control(sim.url, 'GET', '/instances');
    expect(list.body.instances).toHaveLength(2); // only the two valid creations
    expect((await control(sim.url, 'GET', '/pools')).body.pools.every((p: any) => p.outage === null)).toBe(
      true,
    );
  });

  it('applies pool settings and reports the clock and the bill', async () => {
    const time = manualTime();
    const sim = await startSim({ speed: 3600, realNow: time.now }); // one real second = one simulated hour
    const pool = await control(sim.url, 'POST', '/pools', {
      instance_type: 'r5.large',
      availability_zone: 'us-east-1a',
      boot_delay_seconds: 0,
      hazard_per_hour: 0,
    });
    expect(pool.body).toEqual({
      instance_type: 'r5.large',
      availability_zone: 'us-east-1a',
      boot_delay_seconds: 0,
      hazard_per_hour: 0,
    });
    const clock = await control(sim.url, 'GET', '/clock');
    expect(clock.body.speed).toBe(3600);
    expect(Object.keys(clock.body).sort()).toEqual(['now', 'sim_now', 'speed']);
    await control(sim.url, 'POST', '/instances', {
      instance_type: 'r5.large',
      availability_zone: 'us-east-1a',
    });
    await control(sim.url, 'POST', '/instances', {
      instance_type: 'r5.large',
      availability_zone: 'us-east-1a',
      market: 'on-demand',
    });
    time.advance(500); // half an hour, simulated
    const bill = (await control(sim.url, 'GET', '/bill')).body;
    expect(bill.currency).toBe('USD');
    expect(bill.instances).toHaveLength(2);
    const [spotLine, odLine] = bill.instances;
    expect(spotLine.market).toBe('spot');
    expect([spotLine.seconds, odLine.seconds]).toEqual([1800, 1800]);
    // on-demand r5.large is 0.126 USD/h; the spot line is cheaper for (about) the same seconds
    expect(odLine.cost).toBeCloseTo((0.126 * odLine.seconds) / 3600, 3);
    expect(spotLine.cost).toBeLessThan(odLine.cost);
    expect(bill.total).toBeCloseTo(spotLine.cost + odLine.cost, 5);
  });
});
