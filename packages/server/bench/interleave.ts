import { cpus, loadavg } from 'node:os';
import { ms, percentile, summarize } from './stats.ts';

/**
 * Peers measured in the same run, interleaved block by block (A/B/A/B…): whatever else the
 * machine is doing lands on both sides alike, so the ratio of the two holds when the
 * absolute figures wander. Each block yields a sample list per side; the ratio is taken
 * per block, and its median printed beside the pooled figures.
 */
export interface Side {
  name: string;
  /** One block: returns the block's samples (warm-up already discarded by the caller). */
  block(): Promise<number[]>;
}

export interface SideResult {
  name: string;
  samples: number[];
  blocks: number[][];
}

export async function interleave(sides: Side[], blocks: number): Promise<SideResult[]> {
  const results = sides.map((s) => ({ name: s.name, samples: [] as number[], blocks: [] as number[][] }));
  for (let b = 0; b < blocks; b++) {
    // Alternate the order too, so neither side always runs right after the other's wake.
    const order = b % 2 === 0 ? sides.map((_, i) => i) : sides.map((_, i) => sides.length - 1 - i);
    for (const i of order) {
      const got = await sides[i]!.block();
      results[i]!.blocks.push(got);
      results[i]!.samples.push(...got);
    }
  }
  return results;
}

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** Median over blocks of (ours / peer) at percentile p of each block. */
export function blockRatio(ours: SideResult, peer: SideResult, p = 50): number {
  const ratios = ours.blocks.map((blk, i) => {
    const a = percentile(
      [...blk].sort((x, y) => x - y),
      p,
    );
    const b = percentile(
      [...(peer.blocks[i] ?? [])].sort((x, y) => x - y),
      p,
    );
    return a / b;
  });
  return median(ratios.filter(Number.isFinite));
}

/** p99 only when at least 1,000 independent trials stand behind it; else the max, named so. */
export function tail(samples: number[]): string {
  const s = summarize(samples);
  return s.n >= 1000 ? `p99 ${ms(s.p99).padStart(9)}` : `max ${ms(s.max).padStart(9)}`;
}

export function sideLine(label: string, samples: number[], target?: string): void {
  const s = summarize(samples);
  const t = target ? `   target ${target}` : '';
  console.log(`  ${label.padEnd(58)} p50 ${ms(s.p50).padStart(9)}  ${tail(samples)}  (n=${s.n})${t}`);
}

export function ratioLine(label: string, ours: SideResult, peer: SideResult, goal?: string): void {
  const a = summarize(ours.samples);
  const b = summarize(peer.samples);
  const tailName = a.n >= 1000 && b.n >= 1000 ? 'p99' : 'max';
  const pooled = tailName === 'p99' ? a.p99 / b.p99 : a.max / b.max;
  const g = goal ? `   goal ${goal}` : '';
  console.log(
    `  ${`ratio ${label}`.padEnd(58)} median of per-block p50 ratios ×${blockRatio(ours, peer).toFixed(2)}, pooled ${tailName} ×${pooled.toFixed(2)}${g}`,
  );
}

/** What else the machine was doing, and what the load generator itself cost. */
export function machineLine(
  label: string,
  cpu?: { user: number; system: number },
  wallMsSpent?: number,
): void {
  const [l1, l5] = loadavg();
  const gen =
    cpu && wallMsSpent
      ? `, generator CPU ${(((cpu.user + cpu.system) / 1000 / wallMsSpent) * 100).toFixed(0)}% of one core`
      : '';
  console.log(
    `  (${label}: load average ${l1!.toFixed(2)} / ${l5!.toFixed(2)} on ${cpus().length} cores${gen})`,
  );
}

export const sleep = (msDelay: number) => new Promise((r) => setTimeout(r, msDelay));
