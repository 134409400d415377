// Elastic IP addresses: allocation, association with a running instance, release, and the history
// of every association change (the switch cut-over's downtime is measured from it, so it is exact).
//
// Like instance state, an association's end through the instance going away is not stored by a timer:
// every public method first settles associations whose instance has begun shutting down, recording
// the change at the instance's shutdown time (as AWS ends the association then), so the history is
// exact at any clock speed whenever it is read.

import { Ec2Error } from './ec2-error.ts';
import { type SimInstance, stateAt } from './instance.ts';
import { createRng, hashString, type Rng, randomHex } from './rng.ts';

export interface AddressChange {
  /** The instance the address became associated with; null when it became unassociated. */
  instanceId: string | null;
  /** Simulated epoch ms. */
  at: number;
}

export interface Association {
  associationId: string;
  instanceId: string;
  since: number;
}

export interface ElasticIp {
  allocationId: string;
  publicIp: string;
  allocatedAt: number;
  association?: Association;
  releasedAt?: number;
  history: AddressChange[];
}

export interface AddressHost {
  now(): number;
  instance(id: string): SimInstance | undefined;
}

/** Documentation ranges (RFC 5737 TEST-NET-2 and -3): never a real host. */
function candidateIps(): string[] {
  const out: string[] = [];
  for (const prefix of ['198.51.100', '203.0.113']) for (let i = 1; i <= 254; i++) out.push(`${prefix}.${i}`);
  return out;
}

export class AddressBook {
  private readonly rng: Rng;
  private readonly free: string[];
  private readonly addresses = new Map<string, ElasticIp>();

  constructor(
    seed: number,
    private readonly host: AddressHost,
  ) {
    // Its own stream, so allocating addresses does not change the ids instances get from the seed.
    this.rng = createRng(seed ^ hashString('elastic-ip'));
    const ips = candidateIps();
    for (let i = ips.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [ips[i], ips[j]] = [ips[j]!, ips[i]!];
    }
    this.free = ips;
  }

  /** Every address ever allocated, released ones included (their history stays readable). */
  all(): ElasticIp[] {
    this.settle();
    return [...this.addresses.values()];
  }

  /** The addresses the account holds now. */
  list(): ElasticIp[] {
    return this.all().filter((a) => a.releasedAt === undefined);
  }

  get(allocationId: string): ElasticIp | undefined {
    this.settle();
    const a = this.addresses.get(allocationId);
    return a && a.releasedAt === undefined ? a : undefined;
  }

  byPublicIp(publicIp: string): ElasticIp | undefined {
    return this.list().find((a) => a.publicIp === publicIp);
  }

  byAssociation(associationId: string): ElasticIp | undefined {
    return this.list().find((a) => a.association?.associationId === associationId);
  }

  /** The public IP associated with an instance, if any. */
  publicIpOf(instanceId: string): string | undefined {
    return this.list().find((a) => a.association?.instanceId === instanceId)?.publicIp;
  }

  allocate(): ElasticIp {
    this.settle();
    const publicIp = this.free.shift();
    if (publicIp === undefined)
      throw new Ec2Error('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
    const address: ElasticIp = {
      allocationId: `eipalloc-${randomHex(this.rng, 17)}`,
      publicIp,
      allocatedAt: this.host.now(),
      history: [],
    };
    this.addresses.set(address.allocationId, address);
    return address;
  }

  /**
   * AssociateAddress. The instance must be running. An address associated elsewhere moves only with
   * `allowReassociation`; an instance that already holds another address loses it (as in EC2, where
   * the old address stays allocated). Asking again for the association that exists is a no-op that
   * returns it, so a client's retry after a lost response changes nothing.
   */
  associate(allocationId: string, instanceId: string, allowReassociation: boolean): Association {
    const address = this.require(allocationId);
    const now = this.host.now();
    const inst = this.host.instance(instanceId);
    if (!inst)
      throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    const state = stateAt(inst, now);
    if (state !== 'running')
      throw new Ec2Error(
        'IncorrectInstanceState',
        `The instance '${instanceId}' is not in a valid state for this operation (it is ${state}).`,
      );
    const current = address.association;
    if (current?.instanceId === instanceId) return current;
    if (current && !allowReassociation)
      throw new Ec2Error(
        'Resource.AlreadyAssociated',
        `resource ${allocationId} is already associated with associate-id ${current.associationId}`,
      );
    for (const other of this.list()) {
      if (other !== address && other.association?.instanceId === instanceId) this.end(other, now);
    }
    const association: Association = {
      associationId: `eipassoc-${randomHex(this.rng, 17)}`,
      instanceId,
      since: now,
    };
    address.association = association;
    // One change: a move from one instance to another is a single entry, not an end and a start.
    address.history.push({ instanceId, at: now });
    return association;
  }

  /** DisassociateAddress; an address that is not associated stays as it is. */
  disassociate(address: ElasticIp): void {
    this.settle();
    if (address.association) this.end(address, this.host.now());
  }

  release(allocationId: string): void {
    const address = this.require(allocationId);
    if (address.association)
      throw new Ec2Error('InvalidIPAddress.InUse', `Address ${address.publicIp} is in use.`);
    address.releasedAt = this.host.now();
  }

  private require(allocationId: string): ElasticIp {
    const a = this.get(allocationId);
    if (!a)
      throw new Ec2Error(
        'InvalidAllocationID.NotFound',
        `The allocation ID '${allocationId}' does not exist`,
      );
    return a;
  }

  private end(address: ElasticIp, at: number): void {
    address.association = undefined;
    address.history.push({ instanceId: null, at });
  }

  /** Ends the associations of instances that have begun shutting down, at the moment they did. */
  private settle(): void {
    const now = this.host.now();
    for (const a of this.addresses.values()) {
      const assoc = a.association;
      if (!assoc) continue;
      const inst = this.host.instance(assoc.instanceId);
      if (inst?.shutdownAt !== undefined && inst.shutdownAt <= now)
        this.end(a, Math.max(inst.shutdownAt, assoc.since));
    }
  }
}
