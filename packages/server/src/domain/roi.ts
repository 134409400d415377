/**
 * What switches and replicas are worth, pure.
 *
 * Replica ROI: a standing replica is paid for every hour it waits; it pays back when a
 * termination notice (or a rebalance) is answered by promoting it instead of booting a
 * replacement. The downtime avoided by one promotion is the replacement's boot time minus the
 * downtime the promotion actually had (never below 0). That downtime is valued at a price per
 * hour of downtime the operator gives (an assumption: the product cannot know what an outage
 * costs a workload), so ROI and the break-even price are reported beside it.
 */

export interface SwitchPrices {
  from_price: number | null;
  to_price: number | null;
}

/** USD per hour saved by a switch at the prices of its time (negative: it costs more). */
export function switchSavingPerHour(s: SwitchPrices): number | null {
  if (s.from_price === null || s.to_price === null) return null;
  return s.from_price - s.to_price;
}

export interface SwitchImpactFigures {
  saving_per_hour: number | null;
  /** Saving as a percentage of the price before. */
  saving_pct: number | null;
  /** The saving per hour held for a month (730 h). */
  monthly_projection: number | null;
}

export function switchImpact(s: SwitchPrices): SwitchImpactFigures {
  const saving = switchSavingPerHour(s);
  return {
    saving_per_hour: saving,
    saving_pct: saving === null || !s.from_price ? null : (saving / s.from_price) * 100,
    monthly_projection: saving === null ? null : saving * 730,
  };
}

export interface Promotion {
  /** Downtime the promotion had, as measured by the cut-over; null when not measured. */
  downtime_seconds: number | null;
}

export interface ReplicaRoiInput {
  /** What the replicas were billed over the window (null: a replica's price is unknown). */
  replica_cost: number | null;
  promotions: readonly Promotion[];
  /** How long a replacement takes to boot (the downtime without a ready replica). */
  boot_seconds: number;
  /** The assumed value of one hour of downtime, USD. */
  downtime_usd_per_hour: number;
}

export interface ReplicaRoi {
  replica_cost: number | null;
  promotions: number;
  /** Promotions without a measured downtime: not credited with any avoided downtime. */
  promotions_unmeasured: number;
  boot_seconds: number;
  downtime_avoided_seconds: number;
  downtime_usd_per_hour: number;
  value_of_downtime_avoided: number;
  /** Value avoided minus replica cost. */
  net: number | null;
  /** net / replica cost; null when the replicas cost nothing (or their cost is unknown). */
  roi: number | null;
  /** The downtime price per hour at which the replicas exactly paid for themselves. */
  break_even_usd_per_hour: number | null;
}

export function avoidedSeconds(p: Promotion, bootSeconds: number): number | null {
  if (p.downtime_seconds === null) return null;
  return Math.max(0, bootSeconds - p.downtime_seconds);
}

export function replicaRoi(input: ReplicaRoiInput): ReplicaRoi {
  let avoided = 0;
  let unmeasured = 0;
  for (const p of input.promotions) {
    const s = avoidedSeconds(p, input.boot_seconds);
    if (s === null) unmeasured++;
    else avoided += s;
  }
  const value = (avoided / 3600) * input.downtime_usd_per_hour;
  const cost = input.replica_cost;
  const net = cost === null ? null : value - cost;
  return {
    replica_cost: cost,
    promotions: input.promotions.length,
    promotions_unmeasured: unmeasured,
    boot_seconds: input.boot_seconds,
    downtime_avoided_seconds: avoided,
    downtime_usd_per_hour: input.downtime_usd_per_hour,
    value_of_downtime_avoided: value,
    net,
    roi: cost === null || cost <= 0 || net === null ? null : net / cost,
    break_even_usd_per_hour: cost === null || avoided <= 0 ? null : cost / (avoided / 3600),
  };
}

/** Median of some durations (the replacement boot time estimate); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
