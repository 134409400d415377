import { describe, expect, it } from 'vitest';
import { computeBill } from '../src/core/billing.ts';
import { Catalog } from '../src/core/catalog.ts';
import { createSimClock } from '../src/core/clock.ts';
import { Ec2Error } from '../src/core/ec2-error.ts';
import { stateAt, stateReasonAt } from '../src/core/instance.ts';
import { parseSpotPriceCsv, SPOT_HEADER } from '../src/core/price-csv.ts';
import { PriceBook } from '../src/core/prices.ts';
import { type LaunchRequest, Simulator } from '../src/core/simulator.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const H = 3_600_000;

function world(opts: { hazard?: number; seed?: number } = {}) {
  let t = T0;
  // speed 1 from T0 on a real clock the test moves by hand
  const clock = createSimClock({ speed: 1, start: T0, realNow: () => t });
  const rows = parseSpotPriceCsv(
    [
      SPOT_HEADER,
      '2020-01-01T00:00:00Z,us-east-1,us-east-1a,c5.large,Linux/UNIX,0.036000',
      '2020-01-01T10:00:00Z,us-east-1,us-east-1a,c5.large,Linux/UNIX,0.072000',
      '2020-01-01T00:00:00Z,us-east-1,us-east-1b,c5.large,Linux/UNIX,0.030000',
      '2020-01-01T05:00:00Z,us-east-1,us-east-1b,c5.large,Linux/UNIX,0.090000',
    ].join('\n'),
    'test',
  );
  const catalog = new Catalog({
    region: 'us-east-1',
    priceBook: new PriceBook([{ source: 'test', rows }], 'us-east-1', T0),
    onDemand: new Map([['c5.large', 0.085]]),
    bootDelaySeconds: 30,
    hazardPerHour: opts.hazard ?? 0,
  });
  const sim = new Simulator({ clock, catalog, seed: opts.seed ?? 1 });
  return { sim, advance: (ms: number) => (t += ms), now: () => t };
}

const launch = (over: Partial<LaunchRequest> = {}): LaunchRequest => ({
  imageId: 'ami-12345678',
  instanceType: 'c5.large',
  az: 'us-east-1a',
  market: 'spot',
  minCount: 1,
  maxCount: 1,
  tags: [],
  fingerprint: 'f',
  ...over,
});

function ec2Code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof Ec2Error) return err.code;
    throw err;
  }
  throw new Error('expected an Ec2Error');
}

describe('Simulator', () => {
  it('boots after the pool delay and shuts down a few seconds after terminate', () => {
    const w = world();
    const [inst] = w.sim.launch(launch()).instances;
    expect(stateAt(inst!, w.now())).toBe('pending');
    w.advance(29_999);
    expect(stateAt(inst!, w.now())).toBe('pending');
    w.advance(1);
    expect(stateAt(inst!, w.now())).toBe('running');
    expect(w.sim.terminate(inst!.id)).toEqual({ previous: 'running', current: 'shutting-down' });
    expect(stateReasonAt(inst!, w.now())?.code).toBe('Client.UserInitiatedShutdown');
    w.advance(5_000);
    expect(stateAt(inst!, w.now())).toBe('terminated');
    expect(w.sim.terminate(inst!.id)).toEqual({ previous: 'terminated', current: 'terminated' });
  });

  it('returns the same reservation for a repeated ClientToken and refuses other parameters', () => {
    const w = world();
    const a = w.sim.launch(launch({ clientToken: 'tok-1', maxCount: 2 }));
    const b = w.sim.launch(launch({ clientToken: 'tok-1', maxCount: 2 }));
    expect(b.reservationId).toBe(a.reservationId);
    expect(b.instances.map((i) => i.id)).toEqual(a.instances.map((i) => i.id));
    expect(w.sim.list()).toHaveLength(2);
    expect(ec2Code(() => w.sim.launch(launch({ clientToken: 'tok-1', fingerprint: 'other' })))).toBe(
      'IdempotentParameterMismatch',
    );
  });

  it('enforces max price, capacity outages and unknown pools', () => {
    const w = world();
    expect(ec2Code(() => w.sim.launch(launch({ maxPrice: 0.01 })))).toBe('SpotMaxPriceTooLow');
    expect(ec2Code(() => w.sim.launch(launch({ instanceType: 'x9.huge' })))).toBe('InvalidParameterValue');
    expect(ec2Code(() => w.sim.launch(launch({ az: 'us-east-1z' })))).toBe('InvalidParameterValue');
    w.sim.setOutage({
      instanceType: 'c5.large',
      az: 'us-east-1a',
      errorCode: 'InsufficientInstanceCapacity',
      until: T0 + 60_000,
    });
    expect(ec2Code(() => w.sim.launch(launch()))).toBe('InsufficientInstanceCapacity');
    w.advance(60_000);
    expect(w.sim.launch(launch()).instances).toHaveLength(1);
    // 1b reaches 0.09 ≥ on-demand 0.085 after 5 h: no spot capacity there
    w.advance(5 * H);
    expect(ec2Code(() => w.sim.launch(launch({ az: 'us-east-1b' })))).toBe('InsufficientInstanceCapacity');
    expect(w.sim.launch(launch({ az: 'us-east-1b', market: 'on-demand' })).instances).toHaveLength(1);
  });

  it('picks the cheapest zone when none is given', () => {
    const w = world();
    expect(w.sim.launch(launch({ az: undefined })).instances[0]!.az).toBe('us-east-1b');
  });

  it('interrupts a spot instance when the price passes its max price, with rebalance first', () => {
    const w = world();
    const [inst] = w.sim.launch(launch({ maxPrice: 0.05 })).instances;
    // price goes 0.036 → 0.072 at +10 h: notice then, action 120 s later, rebalance 240 s before the notice
    expect(inst!.noticeAt).toBe(T0 + 10 * H);
    expect(inst!.actionTime).toBe(T0 + 10 * H + 120_000);
    expect(inst!.rebalanceAt).toBe(T0 + 10 * H - 240_000);
    w.advance(10 * H + 120_000);
    expect(stateAt(inst!, w.now())).toBe('shutting-down');
    expect(stateReasonAt(inst!, w.now())?.code).toBe('Server.SpotInstanceTermination');
  });

  it('draws hazard interruptions from the seed (same seed, same times)', () => {
    const times = (seed: number) => {
      const w = world({ hazard: 0.5, seed });
      return w.sim.launch(launch({ az: 'us-east-1a', maxCount: 3 })).instances.map((i) => i.noticeAt);
    };
    expect(times(3)).toEqual(times(3));
    expect(times(3)).not.toEqual(times(4));
    for (const t of times(3)) expect(t).toBeGreaterThan(T0 + 30_000);
  });

  it('re-plans when the pool hazard changes, and a manual interrupt wins', () => {
    const w = world();
    const [inst] = w.sim.launch(launch({ az: 'us-east-1a', maxPrice: 0.08 })).instances;
    expect(inst!.noticeAt).toBeUndefined();
    w.sim.updatePool('c5.large', 'us-east-1a', { hazardPerHour: 1000 });
    expect(inst!.noticeAt).toBeDefined();
    w.sim.interrupt(inst!.id, 60);
    expect(inst!.noticeAt).toBe(w.now());
    expect(inst!.actionTime).toBe(w.now() + 60_000);
    expect(() => w.sim.interrupt(inst!.id, 60)).toThrow(/already has an interruption notice/);
    const [od] = w.sim.launch(launch({ market: 'on-demand' })).instances;
    expect(() => w.sim.interrupt(od!.id, 60)).toThrow(/on-demand/);
  });

  it('bills running seconds at the spot price in force and on-demand at list price', () => {
    const w = world();
    const spot = w.sim.create({
      instanceType: 'c5.large',
      az: 'us-east-1a',
      market: 'spot',
      running: true,
      maxPrice: 1,
    });
    const od = w.sim.create({
      instanceType: 'c5.large',
      az: 'us-east-1a',
      market: 'on-demand',
      running: true,
    });
    w.advance(11 * H);
    w.sim.terminate(od.id);
    w.advance(H);
    const bill = computeBill(w.sim.list(), w.sim.catalog, w.now());
    const spotLine = bill.instances.find((l) => l.instance_id === spot.id)!;
    // 10 h at 0.036 + 2 h at 0.072
    expect(spotLine.cost).toBeCloseTo(10 * 0.036 + 2 * 0.072, 6);
    expect(spotLine.seconds).toBe(12 * 3600);
    const odLine = bill.instances.find((l) => l.instance_id === od.id)!;
    expect(odLine.seconds).toBe(11 * 3600);
    expect(odLine.cost).toBeCloseTo(11 * 0.085, 6);
    expect(bill.total).toBeCloseTo(spotLine.cost + odLine.cost, 6);
  });

  it('consumes injected faults one call at a time', () => {
    const w = world();
    w.sim.addFault('RunInstances', 'RequestLimitExceeded', 2);
    expect(w.sim.takeFault('RunInstances')?.code).toBe('RequestLimitExceeded');
    expect(w.sim.takeFault('DescribeInstances')).toBeUndefined();
    expect(w.sim.takeFault('RunInstances')?.status).toBe(503);
    expect(w.sim.takeFault('RunInstances')).toBeUndefined();
  });
});
