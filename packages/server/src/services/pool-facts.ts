import type { Executor } from '../db/executor.ts';
import type { CandidateFacts, PoolKey } from '../domain/emergency-policy.ts';
import type { AgentConfigRow } from '../repositories/agent-configs.ts';
import { unavailablePoolKeys } from '../repositories/unavailable-pools.ts';
import { type CanonicalPoolFeatures, type CanonicalPrices, readCanonical } from './canonical-prices.ts';

/** The window of prices read when only the current price matters (emergencies, replicas). */
const FACTS_WINDOW_MS = 3_600_000;

export interface CandidateQuery {
  clientId: string;
  config: AgentConfigRow | undefined;
  instanceType: string;
  region: string | null;
  now: Date;
  /** The canonical tier's cache; without it, features are read directly. */
  canonical?: CanonicalPrices | null;
}

/**
 * A workload's candidate pools with their canonical features and whether each is in the
 * unavailable memory, in a bounded number of queries whatever the number of pools. Candidates
 * are the agent's configured pools; without any, the pools of its own type that our agents
 * have reported prices for (its own type in other zones is the replacement an operator would
 * pick). `extra` pools (e.g. the current one) are read in the same batch, returned after.
 */
export async function candidateFeatures(
  db: Executor,
  p: CandidateQuery & { windowMs: number; timeScale: number; extra?: PoolKey[] },
): Promise<{
  candidates: Array<CanonicalPoolFeatures & { unavailable: boolean }>;
  extra: CanonicalPoolFeatures[];
}> {
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
  const q = {
    clientId: p.clientId,
    region: p.region,
    pools: [...pools, ...(p.extra ?? [])],
    now: p.now,
    windowMs: p.windowMs,
    timeScale: p.timeScale,
  };
  const features = p.canonical ? await p.canonical.features(db, q) : await readCanonical(db, q);
  return {
    candidates: features.slice(0, pools.length).map((f) => ({
      ...f,
      unavailable: unavailable.has(`${f.instance_type}@${f.availability_zone}`),
    })),
    extra: features.slice(pools.length),
  };
}

/** The facts emergency and replica choices need: price, on-demand price, unavailable. */
export async function candidateFacts(db: Executor, p: CandidateQuery): Promise<CandidateFacts[]> {
  const { candidates } = await candidateFeatures(db, { ...p, windowMs: FACTS_WINDOW_MS, timeScale: 1 });
  return candidates.map((f) => ({
    instance_type: f.instance_type,
    availability_zone: f.availability_zone,
    spot_price: f.spot_price,
    ondemand_price: f.ondemand_price,
    unavailable: f.unavailable,
  }));
}
