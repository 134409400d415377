// Elastic IPs through the real SDK, and their association history on /_sim/addresses. Time is driven
// by hand (manualTime), so boot, shutdown and the history's millisecond times are exact.

import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  DescribeAddressesCommand,
  type DescribeAddressesCommandInput,
  DescribeInstancesCommand,
  DisassociateAddressCommand,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, control, ec2, manualTime, sdkError, startSim } from './helpers.ts';

afterAll(closeAll);

async function world(seed = 7) {
  const time = manualTime();
  const sim = await startSim({ seed, realNow: time.now, bootDelaySeconds: 30 });
  const client = ec2(sim.url);
  const host = async (running = true) =>
    (
      await control(sim.url, 'POST', '/instances', {
        instance_type: 'c5.large',
        availability_zone: 'us-east-1a',
        running,
      })
    ).body.instance_id as string;
  const addresses = async () => (await control(sim.url, 'GET', '/addresses')).body as any[];
  return { sim, time, client, host, addresses };
}

describe('Elastic IPs', () => {
  it('allocates VPC addresses from a documentation range, the same ones for the same seed', async () => {
    const first = await world(7);
    const a = await first.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const b = await first.client.send(new AllocateAddressCommand({}));
    expect(a.AllocationId).toMatch(/^eipalloc-[0-9a-f]{17}$/);
    expect(a.Domain).toBe('vpc');
    for (const ip of [a.PublicIp, b.PublicIp]) expect(ip).toMatch(/^(198\.51\.100|203\.0\.113)\.\d{1,3}$/);
    expect(a.PublicIp).not.toBe(b.PublicIp);
    const again = await world(7);
    const a2 = await again.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    expect([a2.AllocationId, a2.PublicIp]).toEqual([a.AllocationId, a.PublicIp]);
    expect((await sdkError(again.client.send(new AllocateAddressCommand({ Domain: 'standard' })))).name).toBe(
      'InvalidParameterValue',
    );
    // the control shortcut allocates too
    const made = await control(again.sim.url, 'POST', '/addresses', {});
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ instance_id: null, association_id: null, history: [] });
    expect((await control(again.sim.url, 'POST', '/addresses', { count: 2 })).status).toBe(400);
    expect(await again.addresses()).toHaveLength(2);
  });

  it('associates only with a running instance and records each change to the millisecond', async () => {
    const w = await world();
    const { AllocationId, PublicIp } = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const pending = await w.host(false);
    const err = await sdkError(
      w.client.send(new AssociateAddressCommand({ AllocationId, InstanceId: pending })),
    );
    expect(err.name).toBe('IncorrectInstanceState');
    expect(err.status).toBe(400);
    expect(
      (
        await sdkError(
          w.client.send(new AssociateAddressCommand({ AllocationId, InstanceId: 'i-0123456789abcdef0' })),
        )
      ).name,
    ).toBe('InvalidInstanceID.NotFound');
    expect(
      (
        await sdkError(
          w.client.send(
            new AssociateAddressCommand({ AllocationId: 'eipalloc-00000000', InstanceId: pending }),
          ),
        )
      ).name,
    ).toBe('InvalidAllocationID.NotFound');
    expect((await w.addresses())[0].history).toEqual([]);

    const t1 = w.time.advance(30_123); // the pending one is running now
    const assoc = await w.client.send(new AssociateAddressCommand({ AllocationId, InstanceId: pending }));
    expect(assoc.AssociationId).toMatch(/^eipassoc-[0-9a-f]{17}$/);
    // asking again for the same association changes nothing
    const again = await w.client.send(new AssociateAddressCommand({ AllocationId, InstanceId: pending }));
    expect(again.AssociationId).toBe(assoc.AssociationId);

    const other = await w.host(true);
    const refused = await sdkError(
      w.client.send(new AssociateAddressCommand({ AllocationId, InstanceId: other })),
    );
    expect(refused.name).toBe('Resource.AlreadyAssociated');
    expect((await w.addresses())[0]).toMatchObject({
      instance_id: pending,
      association_id: assoc.AssociationId,
    });

    const t2 = w.time.advance(457);
    const moved = await w.client.send(
      new AssociateAddressCommand({ AllocationId, InstanceId: other, AllowReassociation: true }),
    );
    expect(moved.AssociationId).not.toBe(assoc.AssociationId);
    const [view] = await w.addresses();
    expect(view).toEqual({
      allocation_id: AllocationId,
      public_ip: PublicIp,
      instance_id: other,
      association_id: moved.AssociationId,
      released_at: null,
      history: [
        { instance_id: pending, at: new Date(t1).toISOString() },
        { instance_id: other, at: new Date(t2).toISOString() },
      ],
    });
    expect(view.history[1].at).toMatch(/\.\d{3}Z$/);
    expect(new Date(t2).getUTCMilliseconds()).not.toBe(0);

    // EC2 shows the address on the instance and in DescribeAddresses
    const d = await w.client.send(new DescribeInstancesCommand({ InstanceIds: [other, pending] }));
    const byId = new Map(d.Reservations!.flatMap((r) => r.Instances!).map((i) => [i.InstanceId, i]));
    expect(byId.get(other)!.PublicIpAddress).toBe(PublicIp);
    expect(byId.get(pending)!.PublicIpAddress).toBeUndefined();
    expect((await control(w.sim.url, 'GET', `/instances/${other}`)).body.public_ip).toBe(PublicIp);
    const described = await w.client.send(new DescribeAddressesCommand({ AllocationIds: [AllocationId!] }));
    expect(described.Addresses).toEqual([
      expect.objectContaining({
        AllocationId,
        PublicIp,
        Domain: 'vpc',
        InstanceId: other,
        AssociationId: moved.AssociationId,
        PrivateIpAddress: byId.get(other)!.PrivateIpAddress,
      }),
    ]);
  });

  it('moves an address off an instance that takes another one', async () => {
    const w = await world();
    const a = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const b = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const inst = await w.host();
    await w.client.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, InstanceId: inst }));
    await w.client.send(new AssociateAddressCommand({ AllocationId: b.AllocationId, InstanceId: inst }));
    const [va, vb] = await w.addresses();
    expect(va.instance_id).toBeNull();
    expect(va.history.map((h: any) => h.instance_id)).toEqual([inst, null]);
    expect(vb.instance_id).toBe(inst);
  });

  it('describes by allocation id, public ip and filter, and refuses unknown ones', async () => {
    const w = await world();
    const a = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const b = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const inst = await w.host();
    await w.client.send(new AssociateAddressCommand({ AllocationId: b.AllocationId, InstanceId: inst }));
    const ids = async (input: DescribeAddressesCommandInput) =>
      (await w.client.send(new DescribeAddressesCommand(input))).Addresses!.map((x) => x.AllocationId);
    expect(await ids({})).toEqual([a.AllocationId, b.AllocationId]);
    expect(await ids({ AllocationIds: [b.AllocationId!] })).toEqual([b.AllocationId]);
    expect(await ids({ PublicIps: [a.PublicIp!] })).toEqual([a.AllocationId]);
    expect(await ids({ Filters: [{ Name: 'instance-id', Values: [inst] }] })).toEqual([b.AllocationId]);
    expect(
      (await sdkError(w.client.send(new DescribeAddressesCommand({ AllocationIds: ['eipalloc-12345678'] }))))
        .name,
    ).toBe('InvalidAllocationID.NotFound');
    expect(
      (await sdkError(w.client.send(new DescribeAddressesCommand({ AllocationIds: ['nope'] })))).name,
    ).toBe('InvalidAllocationID.Malformed');
    expect(
      (await sdkError(w.client.send(new DescribeAddressesCommand({ PublicIps: ['192.0.2.1'] })))).name,
    ).toBe('InvalidAddress.NotFound');
  });

  it('disassociates by association id or public ip, and releases only a free address', async () => {
    const w = await world();
    const a = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const inst = await w.host();
    const assoc = await w.client.send(
      new AssociateAddressCommand({ AllocationId: a.AllocationId, InstanceId: inst }),
    );
    const inUse = await sdkError(w.client.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId })));
    expect(inUse.name).toBe('InvalidIPAddress.InUse');
    expect(
      (
        await sdkError(
          w.client.send(new DisassociateAddressCommand({ AssociationId: 'eipassoc-0123456789abcdef0' })),
        )
      ).name,
    ).toBe('InvalidAssociationID.NotFound');
    w.time.advance(1_001);
    await w.client.send(new DisassociateAddressCommand({ AssociationId: assoc.AssociationId }));
    // by public ip, of an address now free: nothing to do, nothing changes
    await w.client.send(new DisassociateAddressCommand({ PublicIp: a.PublicIp }));
    expect((await w.addresses())[0].history.map((h: any) => h.instance_id)).toEqual([inst, null]);

    const b = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await w.client.send(new AssociateAddressCommand({ AllocationId: b.AllocationId, InstanceId: inst }));
    await w.client.send(new DisassociateAddressCommand({ PublicIp: b.PublicIp }));
    expect((await w.addresses())[1].instance_id).toBeNull();

    await w.client.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
    const left = await w.client.send(new DescribeAddressesCommand({}));
    expect(left.Addresses!.map((x) => x.AllocationId)).toEqual([b.AllocationId]);
    expect(
      (await sdkError(w.client.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId })))).name,
    ).toBe('InvalidAllocationID.NotFound');
    // the control view keeps a released address and its history
    const released = (await w.addresses()).find((x) => x.allocation_id === a.AllocationId);
    expect(released.released_at).toBe(new Date(w.time.now()).toISOString());
    expect(released.history).toHaveLength(2);
  });

  it('ends the association when the instance starts shutting down, at that moment', async () => {
    const w = await world();
    const a = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const spot = await w.host();
    await w.client.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, InstanceId: spot }));
    // an interruption: notice now, the instance shuts down 120 s later
    await control(w.sim.url, 'POST', `/instances/${spot}/interrupt`, { notice_seconds: 120 });
    const shutdown = w.time.advance(120_000);
    w.time.advance(2_500); // read later than it happened: the history still says when
    const [view] = await w.addresses();
    expect(view.instance_id).toBeNull();
    expect(view.history.at(-1)).toEqual({ instance_id: null, at: new Date(shutdown).toISOString() });

    const b = await w.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const od = await w.host();
    await w.client.send(new AssociateAddressCommand({ AllocationId: b.AllocationId, InstanceId: od }));
    const t = w.time.advance(321);
    await w.client.send(new TerminateInstancesCommand({ InstanceIds: [od] }));
    const d = await w.client.send(new DescribeAddressesCommand({ AllocationIds: [b.AllocationId!] }));
    expect(d.Addresses![0]!.InstanceId).toBeUndefined();
    expect((await w.addresses())[1].history.at(-1)).toEqual({
      instance_id: null,
      at: new Date(t).toISOString(),
    });
    // a shutting-down instance cannot take an address
    expect(
      (
        await sdkError(
          w.client.send(new AssociateAddressCommand({ AllocationId: b.AllocationId, InstanceId: od })),
        )
      ).name,
    ).toBe('IncorrectInstanceState');
  });
});
