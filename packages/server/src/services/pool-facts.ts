import type { Executor } from '../db/executor.ts';
import type { CandidateFacts, PoolKey } from '../domain/emergency-policy.ts';
import type { AgentConfigRow } from '../repositories/agent-configs.ts';
import { latestSpotPrice, ondemandPrice } from '../repositories/pool-prices.ts';
import { unavailablePoolKeys } from '../repositories/unavailable-pools.ts';

/**
 * The facts about a workload's candidate pools a decision needs: price, on-demand price and
 * whether the pool is in the unavailable memory. Candidates are the agent's configured pools;
 * without any, the pools of its own type that our agents have reported prices for (its own
 * type in other zones is the replacement an operator would pick).
 */
export async function candidateFacts(
  db: Executor,
  p: {
    clientId: string;
    config: AgentConfigRow | undefined;
    instanceType: string;
    region: string | null;
    now: Date;
  },
): Promise<CandidateFacts[]> {
  let pools = ((p.config?.candidate_pools as PoolKey[] | undefined) ?? []).slice();
  if (pools.length === 0) {
    pools = await db
      .selectFrom('price_snapshots')
      .select(['instance_type', 'availability_zone'])
      .distinct()
      .where('client_id', '=', p.clientId)
      .where('instance_type', '=', p.instanceType)
      .where('observed_at', '>', new Date(p.now.getTime() - 24 * 3_600_000))
      .orderBy('availability_zone')
      .execute();
  }
  const unavailable = await unavailablePoolKeys(db, p.clientId, p.now);
  const facts: CandidateFacts[] = [];
  for (const pool of pools) {
    facts.push({
      instance_type: pool.instance_type,
      availability_zone: pool.availability_zone,
      spot_price: await latestSpotPrice(db, p.clientId, pool.instance_type, pool.availability_zone),
      ondemand_price: await ondemandPrice(db, p.region, pool.instance_type),
      unavailable: unavailable.has(`${pool.instance_type}@${pool.availability_zone}`),
    });
  }
  return facts;
}
