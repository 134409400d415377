// Seeded randomness: every random choice in the simulator (instance ids, hazard hits) comes from
// here, so a run with the same seed and the same calls is reproducible.

/** A uniform [0, 1) generator (mulberry32: tiny, fast, good enough for simulation). */
export type Rng = () => number;

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a 32-bit hash: stable per-string numbers (per-pool boot delays, per-instance RNG streams). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Lower-case hex string of `length` characters. */
export function randomHex(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(rng() * 16).toString(16);
  return out;
}

/** Exponentially distributed waiting time (same unit as 1/rate); Infinity when the rate is 0. */
export function exponential(rng: Rng, ratePerUnit: number): number {
  if (ratePerUnit <= 0) return Number.POSITIVE_INFINITY;
  return -Math.log(1 - rng()) / ratePerUnit;
}
