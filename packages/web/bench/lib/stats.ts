export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

export function summary(values: number[]): string {
  return `p50 ${fmt(percentile(values, 50))}  p99 ${fmt(percentile(values, 99))}  max ${fmt(Math.max(...values))}  (n=${values.length})`;
}

/** Runs `fn` over items with at most `n` in flight. */
export async function pool<T>(
  items: T[],
  n: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}
