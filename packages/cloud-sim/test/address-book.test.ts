// The Elastic IP core (pure): association rules and the history's exact times, on a clock moved by hand.

import { describe, expect, it } from 'vitest';
import { AddressBook } from '../src/core/addresses.ts';
import { Ec2Error } from '../src/core/ec2-error.ts';
import type { SimInstance } from '../src/core/instance.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function instance(id: string, over: Partial<SimInstance> = {}): SimInstance {
  return {
    id,
    reservationId: 'r-1',
    imageId: 'ami-12345678',
    instanceType: 'c5.large',
    az: 'us-east-1a',
    market: 'spot',
    tags: new Map(),
    launchTime: T0,
    amiLaunchIndex: 0,
    privateIp: '172.31.0.1',
    runningAt: T0,
    ...over,
  };
}

function book() {
  let t = T0;
  const instances = new Map<string, SimInstance>();
  const addresses = new AddressBook(3, { now: () => t, instance: (id) => instances.get(id) });
  return {
    addresses,
    add: (inst: SimInstance) => instances.set(inst.id, inst).get(inst.id)!,
    advance: (ms: number) => (t += ms),
  };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof Ec2Error) return err.code;
    throw err;
  }
  throw new Error('expected an Ec2Error');
};

describe('AddressBook', () => {
  it('changes nothing when it refuses', () => {
    const w = book();
    const a = w.addresses.allocate();
    const b = w.addresses.allocate();
    w.add(instance('i-1'));
    w.add(instance('i-2', { runningAt: T0 + 10_000 }));
    w.addresses.associate(a.allocationId, 'i-1', false);
    const before = JSON.stringify(w.addresses.all());
    expect(code(() => w.addresses.associate(a.allocationId, 'i-2', true))).toBe('IncorrectInstanceState');
    expect(code(() => w.addresses.associate(b.allocationId, 'i-9', false))).toBe(
      'InvalidInstanceID.NotFound',
    );
    expect(code(() => w.addresses.release(a.allocationId))).toBe('InvalidIPAddress.InUse');
    expect(code(() => w.addresses.associate('eipalloc-00000000', 'i-1', false))).toBe(
      'InvalidAllocationID.NotFound',
    );
    expect(JSON.stringify(w.addresses.all())).toBe(before);
  });

  it("records the end of an association at the instance's shutdown, however late it is read", () => {
    const w = book();
    const a = w.addresses.allocate();
    const inst = w.add(instance('i-1'));
    w.advance(1_000);
    w.addresses.associate(a.allocationId, 'i-1', false);
    // a spot interruption planned for later does not end anything before it happens
    inst.shutdownAt = T0 + 60_000;
    w.advance(30_000);
    expect(w.addresses.publicIpOf('i-1')).toBe(a.publicIp);
    w.advance(10 * 60_000);
    expect(w.addresses.publicIpOf('i-1')).toBeUndefined();
    expect(a.history).toEqual([
      { instanceId: 'i-1', at: T0 + 1_000 },
      { instanceId: null, at: T0 + 60_000 },
    ]);
    // the next instance takes it: one entry, at its own time
    w.add(instance('i-2'));
    w.addresses.associate(a.allocationId, 'i-2', false);
    expect(a.history.at(-1)).toEqual({ instanceId: 'i-2', at: T0 + 631_000 });
  });

  it('hands out distinct documentation addresses until none is left', () => {
    const w = book();
    const ips = new Set<string>();
    for (let i = 0; i < 508; i++) ips.add(w.addresses.allocate().publicIp);
    expect(ips.size).toBe(508);
    for (const ip of ips)
      expect(ip).toMatch(/^(198\.51\.100|203\.0\.113)\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-4])$/);
    expect(code(() => w.addresses.allocate())).toBe('AddressLimitExceeded');
  });
});
