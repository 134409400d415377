import { percentile } from './stats.ts';

/** One figure measured beside its peer: A (ours) and B (the floor), fetching the same rows. */
export interface AbPair {
  label: string;
  /** The seeds' claimed figure for the same read, printed beside ours. */
  seeds?: string;
  ours: () => Promise<void>;
  peer: () => Promise<void>;
  /** Untimed, after every trial of either side (e.g. put claimed commands back). */
  reset?: () => Promise<void>;
}

export interface AbResult {
  label: string;
  ours: number[];
  peer: number[];
  /** Median over blocks of (median of ours in the block) / (median of the peer in the block). */
  ratio: number;
}

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/**
 * Interleaved A/B blocks: a block of ours, then a block of the peer, over and over, so that
 * a change in machine load hits both sides alike; warm-up trials are discarded. The trial
 * count aims at 1,000 (the least behind a p99) within `budgetMs`, and falls back to fewer
 * (then the p99 is printed as "max") for slow reads.
 */
export async function runAbPair(pair: AbPair, budgetMs: number, maxTrials = 1000): Promise<AbResult> {
  const timed = async (fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    await pair.reset?.();
    return dt;
  };
  // A read that takes seconds is measured once, cold, without warm-up.
  const warm =
    maxTrials === 1 ? 0 : maxTrials <= 10 ? 1 : Math.min(20, Math.max(2, Math.floor(maxTrials / 50)));
  const t0 = performance.now();
  for (let i = 0; i < warm; i++) {
    await timed(pair.ours);
    await timed(pair.peer);
  }
  const perTrial = (performance.now() - t0) / Math.max(1, warm);
  const trials =
    warm === 0
      ? maxTrials
      : Math.max(Math.min(maxTrials, 5), Math.min(maxTrials, Math.floor(budgetMs / perTrial)));
  const blocks = Math.max(1, Math.min(20, Math.floor(trials / 5)));
  const perBlock = Math.ceil(trials / blocks);
  const ours: number[] = [];
  const peer: number[] = [];
  const ratios: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const a: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < perBlock; i++) a.push(await timed(pair.ours));
    for (let i = 0; i < perBlock; i++) p.push(await timed(pair.peer));
    ours.push(...a);
    peer.push(...p);
    ratios.push(median(a) / median(p));
  }
  return { label: pair.label, ours, peer, ratio: median(ratios) };
}

const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

/** p50 / p95 / p99 (or "max" below 1,000 trials) of ours and the peer, the ratio, the seeds. */
export function printAb(r: AbResult, seeds?: string, target?: string): void {
  const s = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const tail =
      xs.length >= 1000 ? `p99 ${fmt(percentile(sorted, 99))}` : `max ${fmt(sorted[sorted.length - 1] ?? 0)}`;
    return `p50 ${fmt(percentile(sorted, 50))} p95 ${fmt(percentile(sorted, 95))} ${tail}`;
  };
  console.log(`  ${r.label}  (n=${r.ours.length} + ${r.peer.length})`);
  console.log(
    `      ours ${s(r.ours)} ms   |   bare pg ${s(r.peer)} ms   |   ours/pg ×${r.ratio.toFixed(2)}`,
  );
  const notes = [seeds ? `seeds ${seeds}` : '', target ? `target ${target}` : ''].filter(Boolean).join(', ');
  if (notes) console.log(`      ${notes}`);
}
