import type { Promotion } from './roi.ts';
import type { RunInterval } from './savings.ts';

/**
 * Which billed time counts as a standing replica's (the cost side of replica ROI), pure.
 *
 * A standing replica is an instance that is a REPLICA now, or a ready replica a completed switch
 * promoted (billed as a replica until that switch completed). A switch's own freshly launched
 * target is the switch's cost, not a standing replica's, and is left out.
 */

/** Triggers whose promotion of a ready replica stood in for booting a replacement. */
const INTERRUPTION_TRIGGERS = new Set(['termination_notice', 'rebalance']);

/** A switch as the replica facts need it (a row of listSwitchesTargeting / listSwitchesInWindow). */
export interface TargetingSwitch {
  to_instance_id: string | null;
  target_launched_by_switch: boolean;
  status: string;
  completed_at: Date | string | null;
}

export interface WindowSwitch {
  agent_id: string;
  trigger: string;
  status: string;
  target_launched_by_switch: boolean;
  downtime_seconds: number | string | null;
}

/** What the switches targeting some instances say of them as replicas. */
export interface ReplicaStretches {
  /** Instances a switch launched as its own target. */
  launchedBySwitch: Set<string>;
  /** Ready replicas a completed switch promoted, and when (epoch ms). */
  promotedAt: Map<string, number>;
}

export function replicaStretches(targeting: readonly TargetingSwitch[]): ReplicaStretches {
  const launchedBySwitch = new Set<string>();
  const promotedAt = new Map<string, number>();
  for (const s of targeting) {
    if (!s.to_instance_id) continue;
    if (s.target_launched_by_switch) launchedBySwitch.add(s.to_instance_id);
    else if (s.status === 'COMPLETED' && s.completed_at)
      promotedAt.set(s.to_instance_id, new Date(s.completed_at).getTime());
  }
  return { launchedBySwitch, promotedAt };
}

/** A run billed as a standing replica from its start until `end`. */
export interface ReplicaPeriod {
  run: RunInterval;
  end: number;
}

/**
 * The replica periods among some instances (`rows`: id and role now; `runOf`: each one's run
 * clipped to the span read). An instance neither a replica now nor promoted is not one.
 */
export function replicaPeriods(
  rows: ReadonlyArray<{ id: string; role: string | null }>,
  runOf: ReadonlyMap<string, RunInterval>,
  stretches: ReplicaStretches,
): ReplicaPeriod[] {
  const out: ReplicaPeriod[] = [];
  for (const r of rows) {
    const run = runOf.get(r.id);
    if (!run || stretches.launchedBySwitch.has(r.id)) continue;
    const promoted = stretches.promotedAt.get(r.id);
    if (promoted === undefined && r.role !== 'REPLICA') continue;
    out.push({ run, end: Math.max(run.start, Math.min(run.end, promoted ?? run.end)) });
  }
  return out;
}

/** Per agent, its completed promotions of a ready replica on an interruption. */
export function promotionsByAgent(switches: readonly WindowSwitch[]): Map<string, Promotion[]> {
  const out = new Map<string, Promotion[]>();
  for (const s of switches) {
    if (s.status !== 'COMPLETED' || s.target_launched_by_switch || !INTERRUPTION_TRIGGERS.has(s.trigger))
      continue;
    const list = out.get(s.agent_id) ?? [];
    out.set(s.agent_id, list);
    list.push({ downtime_seconds: s.downtime_seconds == null ? null : Number(s.downtime_seconds) });
  }
  return out;
}
