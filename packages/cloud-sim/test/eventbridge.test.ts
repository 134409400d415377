// EventBridge as a second interruption source: the core's event timeline, the envelopes, and their
// delivery to a tiny local receiver. Time is driven by hand; `flushEvents` waits for deliveries, so
// nothing sleeps against the real clock.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli-args.ts';
import { Catalog } from '../src/core/catalog.ts';
import { createSimClock } from '../src/core/clock.ts';
import { EventCursor, eventsUpTo } from '../src/core/lifecycle-events.ts';
import { parseSpotPriceCsv, SPOT_HEADER } from '../src/core/price-csv.ts';
import { PriceBook } from '../src/core/prices.ts';
import { Simulator } from '../src/core/simulator.ts';
import { envelope } from '../src/eventbridge/envelope.ts';
import { closeAll, control, ec2, manualTime, startSim } from './helpers.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function world() {
  let t = T0;
  const clock = createSimClock({ speed: 1, start: T0, realNow: () => t });
  const rows = parseSpotPriceCsv(
    [SPOT_HEADER, '2020-01-01T00:00:00Z,us-east-1,us-east-1a,c5.large,Linux/UNIX,0.03'].join('\n'),
    'test',
  );
  const catalog = new Catalog({
    region: 'us-east-1',
    priceBook: new PriceBook([{ source: 'test', rows }], 'us-east-1', T0),
    onDemand: new Map([['c5.large', 0.085]]),
    bootDelaySeconds: 30,
    hazardPerHour: 0,
  });
  const sim = new Simulator({ clock, catalog, seed: 1 });
  return { sim, clock, advance: (ms: number) => (t += ms), now: () => t };
}

const kinds = (events: { kind: string }[]) => events.map((e) => e.kind);

describe('lifecycle events (core)', () => {
  it('lists what has happened, in order, each once through the cursor', () => {
    const w = world();
    const cursor = new EventCursor();
    const inst = w.sim.create({ instanceType: 'c5.large', az: 'us-east-1a', market: 'spot', running: false });
    expect(kinds(cursor.due(w.sim.list(), w.now()))).toEqual(['pending']);
    expect(cursor.due(w.sim.list(), w.now())).toEqual([]);
    w.advance(30_000);
    expect(cursor.due(w.sim.list(), w.now())).toEqual([
      { instanceId: inst.id, kind: 'running', at: T0 + 30_000 },
    ]);
    w.sim.rebalance(inst.id);
    w.advance(1_000);
    w.sim.interrupt(inst.id, 0); // a notice with no grace: warning and shutting-down share an instant
    // read late: everything that happened meanwhile, in lifecycle order
    w.advance(60_000);
    const due = cursor.due(w.sim.list(), w.now());
    expect(kinds(due)).toEqual(['rebalance', 'interruption', 'shutting-down', 'terminated']);
    expect(due.map((e) => e.at)).toEqual([T0 + 30_000, T0 + 31_000, T0 + 31_000, T0 + 36_000]);
    expect(cursor.due(w.sim.list(), w.now())).toEqual([]);
  });

  it('skips states an instance never had', () => {
    const w = world();
    const made = w.sim.create({ instanceType: 'c5.large', az: 'us-east-1a', market: 'spot', running: true });
    expect(kinds(eventsUpTo(made, w.now()))).toEqual(['running']);
    const stopped = w.sim.create({
      instanceType: 'c5.large',
      az: 'us-east-1a',
      market: 'on-demand',
      running: false,
    });
    w.sim.terminate(stopped.id);
    w.advance(60_000);
    expect(kinds(eventsUpTo(stopped, w.now()))).toEqual(['pending', 'shutting-down', 'terminated']);
  });

  it('builds envelopes as AWS publishes them', () => {
    const w = world();
    const common = { id: 'a-b', account: '123456789012', region: 'us-east-1', clock: w.clock };
    const at = T0 + 1_500;
    expect(envelope({ instanceId: 'i-1', kind: 'interruption', at }, common)).toEqual({
      version: '0',
      id: 'a-b',
      'detail-type': 'EC2 Spot Instance Interruption Warning',
      source: 'aws.ec2',
      account: '123456789012',
      time: '2024-01-01T00:00:01Z',
      region: 'us-east-1',
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1'],
      detail: { 'instance-id': 'i-1', 'instance-action': 'terminate' },
    });
    expect(envelope({ instanceId: 'i-1', kind: 'rebalance', at }, common)).toMatchObject({
      'detail-type': 'EC2 Instance Rebalance Recommendation',
      detail: { 'instance-id': 'i-1' },
    });
    expect(envelope({ instanceId: 'i-1', kind: 'shutting-down', at }, common)).toMatchObject({
      'detail-type': 'EC2 Instance State-change Notification',
      detail: { 'instance-id': 'i-1', state: 'shutting-down' },
    });
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  body: any;
}

/** A tiny EventBridge target: records each POST, answers with the next scripted status (then 200). */
async function receiver(script: (number | 'hold')[] = []) {
  const got: Received[] = [];
  const held: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(text) });
      const next = script.shift() ?? 200;
      if (next === 'hold') held.push(() => res.writeHead(200).end());
      else res.writeHead(next).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receivers.push(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    got,
    release: () => {
      for (const f of held.splice(0)) f();
    },
  };
}
const receivers: Server[] = [];

afterEach(async () => {
  await closeAll();
  for (const s of receivers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
afterAll(closeAll);

describe('EventBridge delivery', () => {
  it('POSTs state changes, the rebalance recommendation and the interruption warning with the headers', async () => {
    const rx = await receiver();
    const time = manualTime(Date.parse('2025-06-01T12:00:00.700Z'));
    const sim = await startSim({
      realNow: time.now,
      bootDelaySeconds: 30,
      eventbridgeUrl: rx.url,
      eventbridgeHeaders: { 'x-api-key': 'k-123' },
    });
    const id = (
      await control(sim.url, 'POST', '/instances', {
        instance_type: 'c5.large',
        availability_zone: 'us-east-1a',
      })
    ).body.instance_id as string;
    await sim.flushEvents();
    time.advance(30_000);
    await sim.flushEvents();
    const rebalancedAt = time.advance(1_000);
    await control(sim.url, 'POST', `/instances/${id}/rebalance`);
    await sim.flushEvents();
    const noticeAt = time.advance(2_000);
    await control(sim.url, 'POST', `/instances/${id}/interrupt`, { notice_seconds: 120 });
    await sim.flushEvents();
    time.advance(120_000);
    await sim.flushEvents();
    time.advance(5_000);
    await sim.flushEvents();

    const seconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    expect(rx.got.map((r) => [r.body['detail-type'], r.body.detail])).toEqual([
      ['EC2 Instance State-change Notification', { 'instance-id': id, state: 'pending' }],
      ['EC2 Instance State-change Notification', { 'instance-id': id, state: 'running' }],
      ['EC2 Instance Rebalance Recommendation', { 'instance-id': id }],
      ['EC2 Spot Instance Interruption Warning', { 'instance-id': id, 'instance-action': 'terminate' }],
      ['EC2 Instance State-change Notification', { 'instance-id': id, state: 'shutting-down' }],
      ['EC2 Instance State-change Notification', { 'instance-id': id, state: 'terminated' }],
    ]);
    for (const r of rx.got) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-api-key']).toBe('k-123');
      expect(r.body).toMatchObject({
        version: '0',
        source: 'aws.ec2',
        account: '123456789012',
        region: 'us-east-1',
        resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${id}`],
      });
      expect(r.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(r.body.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect(new Set(rx.got.map((r) => r.body.id)).size).toBe(6);
    // times are the wall-clock moments the things happened, not when they were sent
    expect(rx.got[2]!.body.time).toBe(seconds(rebalancedAt));
    expect(rx.got[3]!.body.time).toBe(seconds(noticeAt));
    expect(rx.got[4]!.body.time).toBe(seconds(noticeAt + 120_000));

    const log = (await control(sim.url, 'GET', '/eventbridge')).body;
    expect(log).toHaveLength(6);
    expect(log[3]).toEqual({
      detail_type: 'EC2 Spot Instance Interruption Warning',
      instance_id: id,
      status: 'delivered',
      attempts: 1,
      at: new Date(noticeAt).toISOString(),
      http_status: 200,
      error: null,
    });
  });

  it('retries server errors, gives up on refusals, and logs every outcome', async () => {
    const rx = await receiver([503, 500, 200, 400]);
    const time = manualTime();
    const sim = await startSim({ realNow: time.now, eventbridgeUrl: rx.url, eventbridgeRetryDelayMs: 1 });
    const a = (
      await control(sim.url, 'POST', '/instances', {
        instance_type: 'c5.large',
        availability_zone: 'us-east-1a',
        running: true,
      })
    ).body.instance_id;
    await sim.flushEvents();
    const b = (
      await control(sim.url, 'POST', '/instances', {
        instance_type: 'c5.large',
        availability_zone: 'us-east-1b',
        running: true,
      })
    ).body.instance_id;
    await sim.flushEvents();
    const log = (await control(sim.url, 'GET', '/eventbridge')).body;
    expect(log.map((e: any) => [e.instance_id, e.status, e.attempts, e.http_status])).toEqual([
      [a, 'delivered', 3, 200],
      [b, 'failed', 1, 400],
    ]);
    expect(log[1].error).toBe('HTTP 400');
    expect(rx.got).toHaveLength(4);
  });

  it('never blocks or crashes the simulator: a silent or missing receiver costs nothing', async () => {
    const rx = await receiver(['hold']);
    const time = manualTime();
    const sim = await startSim({ realNow: time.now, eventbridgeUrl: rx.url });
    const made = await control(sim.url, 'POST', '/instances', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
      running: true,
    });
    const flushed = sim.flushEvents();
    // the receiver holds the first delivery; the simulator still answers EC2 and control calls
    await new Promise<void>((r) => {
      const check = () => (rx.got.length > 0 ? r() : setImmediate(check));
      check();
    });
    const d = await ec2(sim.url).send(new DescribeInstancesCommand({}));
    expect(d.Reservations![0]!.Instances![0]!.InstanceId).toBe(made.body.instance_id);
    expect((await control(sim.url, 'GET', '/eventbridge')).body[0].status).toBe('pending');
    rx.release();
    await flushed;
    expect((await control(sim.url, 'GET', '/eventbridge')).body[0].status).toBe('delivered');

    // nobody listening at all: delivery fails after its retries, the simulator carries on
    const gone = await startSim({
      realNow: time.now,
      eventbridgeUrl: 'http://127.0.0.1:9/nowhere',
      eventbridgeRetryDelayMs: 1,
    });
    await control(gone.url, 'POST', '/instances', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
      running: true,
    });
    await gone.flushEvents();
    const [entry] = (await control(gone.url, 'GET', '/eventbridge')).body;
    expect(entry).toMatchObject({ status: 'failed', attempts: 4, http_status: null });
    expect(entry.error).toBeTruthy();
    expect((await control(gone.url, 'GET', '/clock')).status).toBe(200);
  });

  it('has an empty log without a target, and refuses a bad target', async () => {
    const sim = await startSim();
    expect((await control(sim.url, 'GET', '/eventbridge')).body).toEqual([]);
    await expect(startSim({ eventbridgeUrl: 'ftp://example.com/' })).rejects.toThrow(/http or https/);
    await expect(
      startSim({ eventbridgeUrl: 'http://127.0.0.1:1/', eventbridgeHeaders: { 'bad name': 'x' } }),
    ).rejects.toThrow(/header name/);
  });

  it('takes --eventbridge-url and repeatable --eventbridge-header on the command line', () => {
    expect(
      parseCli([
        '--eventbridge-url',
        'http://127.0.0.1:8080/hooks/eventbridge',
        '--eventbridge-header',
        'X-Api-Key: abc: def',
        '--eventbridge-header',
        'Authorization:Bearer t',
      ]),
    ).toMatchObject({
      ok: true,
      options: {
        eventbridgeUrl: 'http://127.0.0.1:8080/hooks/eventbridge',
        eventbridgeHeaders: { 'X-Api-Key': 'abc: def', Authorization: 'Bearer t' },
      },
    });
    expect(parseCli(['--eventbridge-header', 'X: y'])).toMatchObject({
      ok: false,
      message: '--eventbridge-header needs --eventbridge-url',
    });
    expect(parseCli(['--eventbridge-url', 'nope'])).toMatchObject({ ok: false });
    expect(parseCli(['--eventbridge-url', 'http://h/', '--eventbridge-header', 'no colon'])).toMatchObject({
      ok: false,
    });
  });
});
