import type { DecisionMadeData, DecisionView } from '@spot/contract';

/** The decisions feed keeps this many, newest first (the API lists 50 by default). */
export const DECISIONS_MAX = 50;

/** A decision as the feed shows it: the stream's DECISION_MADE shape (no engine input). */
export type FeedDecision = DecisionMadeData;

const toFeed = (d: DecisionView | DecisionMadeData): FeedDecision => {
  const { input: _input, ...rest } = d as DecisionView;
  return rest;
};

/**
 * Merges decisions into the feed: one entry per decision_id, newest first (created_at, then id
 * for a stable order), at most DECISIONS_MAX. Returns the same array when nothing changed.
 */
export function mergeDecisions(
  feed: readonly FeedDecision[],
  incoming: ReadonlyArray<DecisionView | DecisionMadeData>,
): FeedDecision[] {
  const byId = new Map(feed.map((d) => [d.decision_id, d]));
  let changed = false;
  for (const d of incoming) {
    if (byId.has(d.decision_id)) continue; // a decision is recorded once and never changes
    byId.set(d.decision_id, toFeed(d));
    changed = true;
  }
  if (!changed) return feed as FeedDecision[];
  return [...byId.values()]
    .sort((a, b) =>
      a.created_at === b.created_at
        ? b.decision_id.localeCompare(a.decision_id)
        : b.created_at.localeCompare(a.created_at),
    )
    .slice(0, DECISIONS_MAX);
}

/** One line for the activity log. */
export function describeDecision(d: FeedDecision, who: string): string {
  const o = d.output;
  if (o.action === 'stay') return `decision for ${who}: stay (${o.reason})`;
  const to = `${o.target.instance_type} · ${o.target.availability_zone}`;
  return `decision for ${who}: switch to ${to}, saves $${o.expected_saving_per_hour.toFixed(4)}/h`;
}
