/**
 * What to do about an interruption signal (DESIGN §4, §8; issue 9), pure: the services
 * gather the facts, this decides, the switch process manager carries it out.
 */

export interface PoolKey {
  instance_type: string;
  availability_zone: string;
}

export interface CandidateFacts extends PoolKey {
  /** Latest spot price our agents reported; null when unknown. */
  spot_price: number | null;
  /** On-demand list price of the type; null when unknown. */
  ondemand_price: number | null;
  /** Interrupted or out of capacity recently (Karpenter's "unavailable offering"). */
  unavailable: boolean;
}

export type PoolChoice = { pool: PoolKey; market: 'spot' | 'on-demand' } | null;

const same = (a: PoolKey, b: PoolKey | null) =>
  Boolean(b) && a.instance_type === b!.instance_type && a.availability_zone === b!.availability_zone;

/**
 * A spot pool is acceptable when it is not the one being left, not unavailable, and not
 * priced at or above on-demand (no capacity there, in practice). Among acceptable ones the
 * cheapest known wins; unpriced ones come last, in the operator's order (config order is
 * their stated preference, and an unknown price is no reason to skip a pool in an emergency).
 */
export function chooseSpotPool(candidates: CandidateFacts[], leaving: PoolKey | null): PoolKey | null {
  const ok = candidates.filter(
    (c) =>
      !same(c, leaving) &&
      !c.unavailable &&
      !(c.spot_price !== null && c.ondemand_price !== null && c.spot_price >= c.ondemand_price),
  );
  const priced = ok.filter((c) => c.spot_price !== null).sort((a, b) => a.spot_price! - b.spot_price!);
  const best = priced[0] ?? ok.find((c) => c.spot_price === null);
  return best ? { instance_type: best.instance_type, availability_zone: best.availability_zone } : null;
}

export type TerminationResponse =
  /** A RUNNING replica exists: promote it at once (the fast path: no boot). */
  | { kind: 'promote_replica'; replicaId: string }
  /** Launch a replacement in another acceptable pool and cut over when it is ready. */
  | {
      kind: 'launch_replacement';
      pool: PoolKey;
      market: 'spot' | 'on-demand';
      trigger: 'termination_notice' | 'fallback';
    }
  /** A switch already moves the workload off this instance: let it finish. */
  | { kind: 'follow_switch'; switchId: string }
  | { kind: 'replace_replica'; pool: PoolKey }
  /** The replica a switch is promoting is itself going away: fail that switch now (its retry goes elsewhere). */
  | { kind: 'abort_switch'; switchId: string }
  | { kind: 'none'; why: string };

export interface TerminationFacts {
  role: 'PRIMARY' | 'REPLICA' | 'ZOMBIE';
  mode: 'observe' | 'auto_switch' | 'manual_replica';
  onDemandFallback: boolean;
  /** The interrupted instance's own pool (type, AZ). */
  pool: PoolKey | null;
  instanceType: string;
  runningReplicaIds: string[];
  /** An open switch of the agent, and whether it moves away from this instance. */
  openSwitch: { id: string; fromThisInstance: boolean; targetIsThisInstance: boolean } | null;
  candidates: CandidateFacts[];
}

export function decideTermination(f: TerminationFacts): TerminationResponse {
  if (f.role === 'ZOMBIE') return { kind: 'none', why: 'a former primary: it is being retired anyway' };
  if (f.role === 'REPLICA') {
    if (f.openSwitch?.targetIsThisInstance) return { kind: 'abort_switch', switchId: f.openSwitch.id };
    if (f.mode !== 'manual_replica')
      return { kind: 'none', why: 'replicas are replaced only in manual_replica mode' };
    const pool = chooseSpotPool(f.candidates, f.pool);
    return pool
      ? { kind: 'replace_replica', pool }
      : { kind: 'none', why: 'no acceptable pool for a new replica' };
  }
  if (f.openSwitch) {
    if (f.openSwitch.fromThisInstance) return { kind: 'follow_switch', switchId: f.openSwitch.id };
    return { kind: 'none', why: 'another switch of this workload is in progress' };
  }
  const replica = f.runningReplicaIds[0];
  if (replica) return { kind: 'promote_replica', replicaId: replica };
  const pool = chooseSpotPool(f.candidates, f.pool);
  if (pool) return { kind: 'launch_replacement', pool, market: 'spot', trigger: 'termination_notice' };
  if (f.onDemandFallback && f.pool) {
    // Same type, same zone, on-demand: capacity there is not what spot lacked.
    return { kind: 'launch_replacement', pool: f.pool, market: 'on-demand', trigger: 'fallback' };
  }
  return { kind: 'none', why: 'no acceptable spot pool and on-demand fallback is off' };
}

export type RebalanceResponseDecision =
  | { kind: 'prewarm_replica'; pool: PoolKey }
  | { kind: 'mark' }
  | { kind: 'none'; why: string };

export interface RebalanceFacts {
  role: 'PRIMARY' | 'REPLICA' | 'ZOMBIE';
  onRebalance: 'replica' | 'mark' | 'ignore';
  pool: PoolKey | null;
  hasLiveReplica: boolean;
  openSwitch: boolean;
  /** A replica was pre-warmed for this agent within the per-agent cool-down. */
  agentCoolingDown: boolean;
  /** The fleet-wide cap on pre-warmed replicas per minute is reached. */
  fleetCapReached: boolean;
  candidates: CandidateFacts[];
}

/**
 * Rebalance recommendations fire far more often than interruptions, so pre-warming is
 * opt-in (`on_rebalance: replica`) and rate-limited per agent and fleet-wide.
 */
export function decideRebalance(f: RebalanceFacts): RebalanceResponseDecision {
  if (f.onRebalance === 'ignore') return { kind: 'none', why: 'on_rebalance is ignore' };
  if (f.onRebalance === 'mark' || f.role !== 'PRIMARY') return { kind: 'mark' };
  if (f.hasLiveReplica) return { kind: 'none', why: 'a replica already stands by' };
  if (f.openSwitch) return { kind: 'none', why: 'a switch is in progress' };
  if (f.agentCoolingDown)
    return { kind: 'none', why: 'rate limited: one pre-warmed replica per agent per cool-down' };
  if (f.fleetCapReached) return { kind: 'none', why: 'rate limited: fleet-wide cap per minute reached' };
  const pool = chooseSpotPool(f.candidates, f.pool);
  return pool ? { kind: 'prewarm_replica', pool } : { kind: 'none', why: 'no acceptable pool for a replica' };
}

/** Whether the new primary served before AWS's deadline. */
export function outcomeOf(p: {
  completed: boolean;
  servingAt: Date | null;
  deadline: Date | null;
}): 'in_time' | 'late' | 'failed' {
  if (!p.completed || !p.servingAt) return 'failed';
  if (!p.deadline) return 'in_time';
  return p.servingAt.getTime() <= p.deadline.getTime() ? 'in_time' : 'late';
}
