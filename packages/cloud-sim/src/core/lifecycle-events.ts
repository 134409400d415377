// The moments in an instance's life that AWS announces as events (EventBridge): each state change,
// the rebalance recommendation and the interruption warning. Pure: an instance's timeline and a
// simulated `now` in, the events that have happened out. Like instance state, nothing is pushed by a
// timer in the core; an adapter asks `EventCursor.due` now and then and sends what is new.

import type { SimInstance } from './instance.ts';

export type LifecycleKind =
  | 'pending'
  | 'running'
  | 'rebalance'
  | 'interruption'
  | 'shutting-down'
  | 'terminated';

export interface LifecycleEvent {
  instanceId: string;
  kind: LifecycleKind;
  /** Simulated epoch ms of the moment it happened. */
  at: number;
}

/** Order of events that share an instant: the lifecycle order (a 0 s notice precedes shutting-down). */
const RANK: Record<LifecycleKind, number> = {
  pending: 0,
  running: 1,
  rebalance: 2,
  interruption: 3,
  'shutting-down': 4,
  terminated: 5,
};

/** The events of one instance that have happened by `now`, in order. */
export function eventsUpTo(inst: SimInstance, now: number): LifecycleEvent[] {
  const out: LifecycleEvent[] = [];
  const add = (kind: LifecycleKind, at: number | undefined) => {
    if (at !== undefined && at <= now) out.push({ instanceId: inst.id, kind, at });
  };
  const shutdown = inst.shutdownAt ?? Number.POSITIVE_INFINITY;
  // An instance made running never was pending; one stopped while pending never ran.
  if (inst.runningAt > inst.launchTime) add('pending', inst.launchTime);
  if (inst.runningAt < shutdown) add('running', inst.runningAt);
  add('rebalance', inst.rebalanceAt);
  if (inst.actionTime !== undefined) add('interruption', inst.noticeAt);
  add('shutting-down', inst.shutdownAt);
  add('terminated', inst.terminatedAt);
  return out.sort((a, b) => a.at - b.at || RANK[a.kind] - RANK[b.kind]);
}

/**
 * Remembers what was already reported, so each event is handed out exactly once. Only the past is
 * ever reported, and the past of an instance's timeline never changes, so an (instance, kind) pair is
 * a complete identity.
 */
export class EventCursor {
  private readonly seen = new Map<string, Set<LifecycleKind>>();
  private readonly finished = new Set<string>();

  due(instances: Iterable<SimInstance>, now: number): LifecycleEvent[] {
    const out: LifecycleEvent[] = [];
    for (const inst of instances) {
      if (this.finished.has(inst.id)) continue;
      let seen = this.seen.get(inst.id);
      if (!seen) {
        seen = new Set();
        this.seen.set(inst.id, seen);
      }
      for (const e of eventsUpTo(inst, now)) {
        if (seen.has(e.kind)) continue;
        seen.add(e.kind);
        out.push(e);
      }
      if (seen.has('terminated')) {
        this.finished.add(inst.id);
        this.seen.delete(inst.id);
      }
    }
    return out.sort((a, b) => a.at - b.at || RANK[a.kind] - RANK[b.kind]);
  }
}
