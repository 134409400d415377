import { AllocateAddressCommand, AssociateAddressCommand } from '@aws-sdk/client-ec2';
import type { AgentConfig, AgentConfigUpdate, AgentMode } from '@spot/contract';
import { requestJson } from './http-json.ts';
import { type Pool, type PricedPool, simEc2 } from './sim-pools.ts';

/** What the demo starts one workload as: where its first host runs, and the modes of issue 8. */
export interface WorkloadPlan {
  logicalId: string;
  pool: Pool;
  mode: AgentMode;
  /** Where it may move or keep a replica: its own type in other zones, cheapest first. */
  candidates: Pool[];
}

/** Candidate pools per workload (the contract allows 64; the demo keeps its traffic small). */
const CANDIDATES = 3;

/**
 * The demo's workloads `web-1`…`web-N`: instance types and zones in turn (web-1 in the
 * first type's first zone, web-2 in the second type's second zone, …), with the cheapest other zones of the same type as candidates. `web-1`
 * is in manual_replica (a warm replica kept in a candidate pool), the others in observe.
 */
export function planWorkloads(pools: readonly PricedPool[], count: number): WorkloadPlan[] {
  const types = [...new Set(pools.map((p) => p.instance_type))];
  if (types.length === 0) throw new Error('the simulator reports no spot prices for the demo types');
  const plans: WorkloadPlan[] = [];
  for (let i = 0; i < count; i++) {
    const type = types[i % types.length]!;
    const ofType = pools
      .filter((p) => p.instance_type === type)
      .sort((a, b) => a.availability_zone.localeCompare(b.availability_zone));
    const own = ofType[i % ofType.length]!;
    const candidates = ofType
      .filter((p) => p.availability_zone !== own.availability_zone)
      .sort((a, b) => a.price - b.price || a.availability_zone.localeCompare(b.availability_zone))
      .slice(0, CANDIDATES)
      .map(({ instance_type, availability_zone }) => ({ instance_type, availability_zone }));
    plans.push({
      logicalId: `web-${i + 1}`,
      pool: { instance_type: own.instance_type, availability_zone: own.availability_zone },
      mode: i === 0 ? 'manual_replica' : 'observe',
      candidates,
    });
  }
  return plans;
}

export interface ElasticIp {
  allocationId: string;
  publicIp: string;
}

/**
 * An Elastic IP for a workload's entry point, as an operator would make one: AllocateAddress,
 * then AssociateAddress with the host that serves now. The product moves it on cut-over.
 */
export async function attachElasticIp(
  simUrl: string,
  region: string,
  instanceId: string,
): Promise<ElasticIp> {
  const ec2 = simEc2(simUrl, region);
  try {
    const address = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    if (!address.AllocationId || !address.PublicIp) throw new Error('AllocateAddress returned no address');
    await ec2.send(
      new AssociateAddressCommand({ AllocationId: address.AllocationId, InstanceId: instanceId }),
    );
    return { allocationId: address.AllocationId, publicIp: address.PublicIp };
  } finally {
    ec2.destroy();
  }
}

/**
 * Puts a workload in its mode through the API, as the dashboard would: read the config (for
 * its version and the product's defaults), then write it back with the demo's choices.
 */
export async function configureWorkload(
  serverUrl: string,
  clientToken: string,
  agentId: string,
  plan: WorkloadPlan,
  elasticIp: ElasticIp | null,
): Promise<AgentConfig> {
  const url = `${serverUrl}/api/client/agents/${agentId}/config`;
  const current = await requestJson<AgentConfig>(url, { token: clientToken });
  const update: AgentConfigUpdate = {
    mode: plan.mode,
    candidate_pools: plan.candidates,
    min_savings_percent: current.min_savings_percent,
    on_rebalance: current.on_rebalance,
    on_demand_fallback: current.on_demand_fallback,
    elastic_ip_allocation_id: elasticIp?.allocationId ?? current.elastic_ip_allocation_id,
    version: current.version,
  };
  return requestJson<AgentConfig>(url, {
    method: 'PUT',
    token: clientToken,
    body: update,
    idempotencyKey: crypto.randomUUID(),
  });
}
