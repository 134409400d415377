import type { Ec2Port, InstanceView, LaunchSpec, SpotPrice } from '../src/aws/ec2-adapter.ts';

/**
 * An in-memory EC2 for the executors' unit tests (the real SDK against the real simulator is
 * exercised end to end in packages/e2e). Instances advance one state per DescribeInstances.
 */
export class FakeEc2 implements Ec2Port {
  readonly instances = new Map<string, InstanceView & { clientToken: string; script: string[] }>();
  readonly calls: string[] = [];
  runError: Error | null = null;
  terminateError: Error | null = null;
  associateError: Error | null = null;
  /** allocation id → cloud instance id, as AssociateAddress left it. */
  readonly addresses = new Map<string, string>();
  readonly userData = new Map<string, string>();
  /** States a new instance goes through, one per describe. */
  bootScript = ['pending', 'running'];
  private n = 0;

  async runInstance(spec: LaunchSpec): Promise<string> {
    this.calls.push(`run:${spec.clientToken}`);
    if (this.runError) throw this.runError;
    for (const i of this.instances.values()) if (i.clientToken === spec.clientToken) return i.instanceId;
    const id = `i-${(++this.n).toString(16).padStart(8, '0')}`;
    this.instances.set(id, {
      instanceId: id,
      state: 'pending',
      stateReason: null,
      instanceType: spec.instanceType,
      availabilityZone: spec.availabilityZone,
      tags: { 'spot-optimizer:instance-id': spec.instanceId },
      clientToken: spec.clientToken,
      script: [...this.bootScript],
    });
    if (spec.userData) this.userData.set(id, spec.userData);
    return id;
  }

  async associateAddress(allocationId: string, id: string): Promise<string> {
    this.calls.push(`associate:${allocationId}:${id}`);
    if (this.associateError) throw this.associateError;
    this.addresses.set(allocationId, id);
    return `eipassoc-${this.addresses.size}`;
  }

  async terminateInstance(id: string): Promise<void> {
    this.calls.push(`terminate:${id}`);
    if (this.terminateError) throw this.terminateError;
    const i = this.instances.get(id);
    if (!i) throw Object.assign(new Error('not found'), { name: 'InvalidInstanceID.NotFound' });
    i.script = ['shutting-down', 'terminated'];
  }

  async describeInstances(ids: string[]): Promise<InstanceView[]> {
    this.calls.push(`describe:${ids.join(',')}`);
    return ids.map((id) => {
      const i = this.instances.get(id);
      if (!i) throw Object.assign(new Error('not found'), { name: 'InvalidInstanceID.NotFound' });
      const next = i.script.shift();
      if (next) i.state = next;
      return { ...i };
    });
  }

  async describeTagged(filters: Record<string, string>): Promise<InstanceView[]> {
    return [...this.instances.values()].filter((i) =>
      Object.entries(filters).every(([k, v]) => i.tags[k] === v),
    );
  }

  async spotPriceHistory(): Promise<SpotPrice[]> {
    return [];
  }

  /** What AWS does behind our back (a spot reclaim). */
  reclaim(id: string): void {
    const i = this.instances.get(id);
    if (i) {
      i.script = [];
      i.state = 'terminated';
      i.stateReason = 'Server.SpotInstanceTermination';
    }
  }
}
