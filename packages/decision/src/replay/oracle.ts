// The hindsight oracle: dynamic programming over decision points × options. The state after
// segment k is the option held on it; its value is (cost, interruptions, switches) compared
// lexicographically, the tie rule. O(K × O): the cost of moving into q at k does not
// depend on where the move comes from, so one best predecessor per step serves every target.
import { type CostParams, compareKeys, evaluatePath, type Outcome } from './cost.ts';
import type { Market } from './market.ts';

export interface OracleResult {
  readonly path: Int32Array;
  readonly outcome: Outcome;
}

export function oracle(m: Market, params: CostParams): OracleResult {
  const O = m.options.length;
  const K = m.times.length;
  let cost = new Float64Array(O).fill(Number.POSITIVE_INFINITY);
  let ints = new Int32Array(O);
  let sws = new Int32Array(O);
  let nCost = new Float64Array(O);
  let nInts = new Int32Array(O);
  let nSws = new Int32Array(O);
  const back = new Int32Array(K * O).fill(-1);

  for (let o = 0; o < O; o++) {
    if (m.available[o] === 1) cost[o] = (m.prices[o]! * m.durations[0]!) / 3600;
  }
  for (let k = 1; k < K; k++) {
    const row = k * O;
    // Best state to leave from; leaving an option that is unavailable now is an interruption.
    let from = -1;
    let fromInts = 0;
    for (let p = 0; p < O; p++) {
      if (cost[p] === Number.POSITIVE_INFINITY) continue;
      const pi = ints[p]! + (m.available[row + p] === 1 ? 0 : 1);
      if (from < 0 || compareKeys(cost[p]!, pi, sws[p]!, cost[from]!, fromInts, sws[from]!) < 0) {
        from = p;
        fromInts = pi;
      }
    }
    const hold = m.durations[k]! / 3600;
    for (let o = 0; o < O; o++) {
      if (m.available[row + o] !== 1) {
        nCost[o] = Number.POSITIVE_INFINITY;
        continue;
      }
      const price = m.prices[row + o]!;
      let bc = cost[from]! + (params.overlapSeconds * price) / 3600;
      let bi = fromInts;
      let bs = sws[from]! + 1;
      let bp = from;
      // Staying needs no overlap; it wins ties on switches. (If `from` is o itself, staying is at least as good.)
      if (cost[o] !== Number.POSITIVE_INFINITY && compareKeys(cost[o]!, ints[o]!, sws[o]!, bc, bi, bs) <= 0) {
        bc = cost[o]!;
        bi = ints[o]!;
        bs = sws[o]!;
        bp = o;
      }
      nCost[o] = bc + price * hold;
      nInts[o] = bi;
      nSws[o] = bs;
      back[row + o] = bp;
    }
    [cost, nCost] = [nCost, cost];
    [ints, nInts] = [nInts, ints];
    [sws, nSws] = [nSws, sws];
  }
  let end = -1;
  for (let o = 0; o < O; o++) {
    if (cost[o] === Number.POSITIVE_INFINITY) continue;
    if (end < 0 || compareKeys(cost[o]!, ints[o]!, sws[o]!, cost[end]!, ints[end]!, sws[end]!) < 0) end = o;
  }
  const path = new Int32Array(K);
  for (let k = K - 1, o = end; k >= 0; k--) {
    path[k] = o;
    if (k > 0) o = back[k * O + o]!;
  }
  // Scored by the same function as every policy, so the reported figures share one definition.
  return { path, outcome: evaluatePath(m, path, params) };
}
