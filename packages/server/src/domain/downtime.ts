import type { DowntimeAnalytics, DowntimeStats } from '@spot/contract';

/** The seeds' downtime analytics, pure: counts and the distribution of completed switches' downtime. */
export interface SwitchOutcome {
  trigger: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  downtime_seconds: number | null;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

const round3 = (n: number | null) => (n == null ? null : Math.round(n * 1000) / 1000);

export function downtimeStats(rows: SwitchOutcome[]): DowntimeStats {
  const completed = rows.filter((r) => r.status === 'COMPLETED');
  const failed = rows.filter((r) => r.status === 'FAILED').length;
  const ended = completed.length + failed;
  const secs = completed
    .map((r) => r.downtime_seconds)
    .filter((x): x is number => x != null)
    .sort((a, b) => a - b);
  const sum = secs.reduce((a, b) => a + b, 0);
  return {
    count: rows.length,
    completed: completed.length,
    failed,
    success_rate: ended ? round3(completed.length / ended) : null,
    avg_seconds: secs.length ? round3(sum / secs.length) : null,
    p50_seconds: round3(percentile(secs, 50)),
    p95_seconds: round3(percentile(secs, 95)),
    min_seconds: round3(secs[0] ?? null),
    max_seconds: round3(secs[secs.length - 1] ?? null),
  };
}

export function downtimeAnalytics(hours: number, rows: SwitchOutcome[]): DowntimeAnalytics {
  const byTrigger = new Map<string, SwitchOutcome[]>();
  for (const r of rows) byTrigger.set(r.trigger, [...(byTrigger.get(r.trigger) ?? []), r]);
  return {
    hours,
    overall: downtimeStats(rows),
    by_trigger: Object.fromEntries([...byTrigger].map(([t, rs]) => [t, downtimeStats(rs)])),
  };
}
