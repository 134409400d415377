// The default policy. It moves only when the expected saving over a horizon beats the cost
// of moving by `minSavingsPercent`, and it keeps a little memory to do so:
// - a forecast price per option: the current price pulled towards its recent time-weighted
//   mean, because in the spot market a one-off dip or spike mostly reverts;
// - a risk score per pool: a decayed count of recent episodes where the price touched
//   on-demand (unavailable) or jumped towards it. Each expected episode is charged what an
//   interruption costs (an overlap plus the boot downtime, valued at the pool's price);
// - a memory of pools seen unavailable (the product's 3-minute rule), never chosen meanwhile;
// - hysteresis: a move must still be worth it after `confirmSeconds`, so a brief dip of the
//   target (or a brief spike of the current pool) does not trigger it;
// - a minimum dwell time between voluntary moves. A forced move (interruption) ignores it.
import { z } from 'zod';
import { argminAvailable, type DecisionPoint, isForced, type Policy, type PolicyContext } from './types.ts';

export const RulesParamsSchema = z.object({
  /** Net expected saving over the horizon, in % of the current option's expected cost, to move. */
  minSavingsPercent: z.number().min(0).max(100).default(5),
  horizonSeconds: z
    .number()
    .positive()
    .default(6 * 3600),
  minDwellSeconds: z.number().min(0).default(3600),
  confirmSeconds: z.number().min(0).default(600),
  unavailableMemorySeconds: z.number().min(0).default(180),
  /** Time constant of the price mean the forecast reverts to. */
  meanSeconds: z
    .number()
    .positive()
    .default(6 * 3600),
  /** Weight of the current price in the forecast (the rest is the recent mean). */
  currentWeight: z.number().min(0).max(1).default(0.5),
  /** Time constant over which past spikes are forgotten. */
  riskSeconds: z
    .number()
    .positive()
    .default(24 * 3600),
  /** A price at or above this fraction of on-demand counts as a spike episode. */
  spikeFraction: z.number().positive().max(1).default(0.5),
  /** Multiplier of the charge per expected interruption (1 = overlap + downtime at the pool's price). */
  riskWeight: z.number().min(0).default(1),
  /**
   * Evidence gate (a CUSUM): the saving already forgone by staying, accumulated since it began,
   * must reach this many times the move's overlap cost. 0 disables it.
   */
  evidence: z.number().min(0).default(1),
  /** Part of the price gap, in % of the current price, that does not count as evidence (noise). */
  driftPercent: z.number().min(0).default(2),
  /**
   * Volatility penalty: USD/h added to a pool's forecast per USD/h of recent price movement
   * (decayed sum of |Δprice|, capped at on-demand). A pool that flips between cheap and dear
   * is cheap only briefly, and leaving it again costs another overlap.
   */
  volatilityWeight: z.number().min(0).default(0.1),
  volatilitySeconds: z
    .number()
    .positive()
    .default(3 * 3600),
  /** Value of one hour of downtime as a multiple of on-demand price (lost work while booting). */
  downtimeValue: z.number().min(0).default(1),
});
export type RulesParams = z.infer<typeof RulesParamsSchema>;

export interface RulesState {
  readonly lastT: number;
  readonly lastMoveAt: number;
  /** Per option: remembered unavailable until this time. */
  readonly avoidUntil: Float64Array;
  /** Per option: time-weighted mean price (NaN until a price is seen). */
  readonly mean: Float64Array;
  /** Per option: decayed count of spike episodes. */
  readonly risk: Float64Array;
  /** Per option: 1 while in a spike episode (so one episode counts once). */
  readonly spiking: Uint8Array;
  readonly lastPrice: Float64Array;
  /** Per option: decayed sum of |Δprice| (USD/h). */
  readonly movement: Float64Array;
  /** Per option: USD the held option has cost more than it over the recent past (CUSUM). */
  readonly evidence: Float64Array;
  /** The move being confirmed, and since when. */
  readonly pending: number;
  readonly pendingSince: number;
}

export function createRules(
  overrides: Partial<RulesParams> = {},
): Policy<RulesState> & { params: RulesParams } {
  const params = RulesParamsSchema.parse(overrides);
  const H = params.horizonSeconds;

  /** Observe the prices at this point: update means, risk and memory (the past segment is over). */
  function observe(ctx: PolicyContext, p: DecisionPoint, s: RulesState): RulesState {
    const n = ctx.options.length;
    const mean = Float64Array.from(s.mean);
    const risk = Float64Array.from(s.risk);
    const spiking = Uint8Array.from(s.spiking);
    const avoidUntil = Float64Array.from(s.avoidUntil);
    const lastPrice = Float64Array.from(s.lastPrice);
    const evidence = Float64Array.from(s.evidence);
    const movement = Float64Array.from(s.movement);
    const cur = p.current;
    const held = cur >= 0 ? s.lastPrice[cur]! : Number.NaN;
    const dt = Number.isFinite(s.lastT) ? Math.max(0, p.t - s.lastT) : 0;
    const keepMean = Math.exp(-dt / params.meanSeconds);
    const keepRisk = Math.exp(-dt / params.riskSeconds);
    const keepMove = Math.exp(-dt / params.volatilitySeconds);
    for (let i = 0; i < n; i++) {
      const price = p.prices[i]!;
      // The price that held over the segment just ended feeds the mean.
      const od = ctx.options[i]!.ondemandPrice;
      // Prices at or above on-demand are capped: a $26 spike says "unavailable" (the risk score
      // counts it), not that the pool will cost $26 once it is back.
      if (Number.isNaN(mean[i]!)) mean[i] = Math.min(price, od);
      else if (!Number.isNaN(lastPrice[i]!))
        mean[i] = mean[i]! * keepMean + Math.min(lastPrice[i]!, od) * (1 - keepMean);
      risk[i] = risk[i]! * keepRisk;
      const high = p.available[i] !== 1 || price >= params.spikeFraction * od;
      if (high && spiking[i] === 0 && ctx.options[i]!.kind === 'spot' && !Number.isNaN(price))
        risk[i] = risk[i]! + 1;
      spiking[i] = high ? 1 : 0;
      if (ctx.options[i]!.kind === 'spot' && p.available[i] !== 1 && !Number.isNaN(price)) {
        avoidUntil[i] = p.t + params.unavailableMemorySeconds;
      }
      // Evidence for i grows by what staying cost over i during the segment just ended, less a
      // drift; it falls back towards 0 when i was dearer, and is void while i was unavailable.
      const was = s.lastPrice[i]!;
      if (i === cur || Number.isNaN(held) || Number.isNaN(was) || was >= od) evidence[i] = 0;
      else {
        const gap = held - was - (params.driftPercent / 100) * held;
        evidence[i] = Math.max(0, evidence[i]! + (gap * dt) / 3600);
      }
      const capped = Math.min(price, od);
      const before = Math.min(was, od);
      movement[i] =
        movement[i]! * keepMove +
        (Number.isNaN(capped) || Number.isNaN(before) ? 0 : Math.abs(capped - before));
      lastPrice[i] = price;
    }
    return { ...s, lastT: p.t, mean, risk, spiking, avoidUntil, lastPrice, evidence, movement };
  }

  /** Expected cost of holding option i over the horizon, USD (excluding any move). */
  function expected(ctx: PolicyContext, p: DecisionPoint, s: RulesState, i: number): number {
    const price = p.prices[i]!;
    const forecast =
      params.currentWeight * price +
      (1 - params.currentWeight) * (Number.isNaN(s.mean[i]!) ? price : s.mean[i]!) +
      params.volatilityWeight * s.movement[i]!;
    const o = ctx.options[i]!;
    // Episodes per second recently, times what one costs: overlap into elsewhere, and downtime.
    const rate = s.risk[i]! / params.riskSeconds;
    const perInterruption =
      (ctx.overlapSeconds * forecast + ctx.bootSeconds * params.downtimeValue * o.ondemandPrice) / 3600;
    return (forecast * H) / 3600 + params.riskWeight * rate * H * perInterruption;
  }

  /** After any move: the dwell starts again and the evidence was about the option left. */
  function moved(s: RulesState, t: number): RulesState {
    return { ...s, lastMoveAt: t, pending: -1, evidence: new Float64Array(s.evidence.length) };
  }

  return {
    name: 'rules',
    params,
    init(ctx) {
      const n = ctx.options.length;
      return {
        lastT: Number.NaN,
        lastMoveAt: Number.NEGATIVE_INFINITY,
        avoidUntil: new Float64Array(n),
        mean: new Float64Array(n).fill(Number.NaN),
        risk: new Float64Array(n),
        spiking: new Uint8Array(n),
        lastPrice: new Float64Array(n).fill(Number.NaN),
        evidence: new Float64Array(n),
        movement: new Float64Array(n),
        pending: -1,
        pendingSince: 0,
      };
    },
    decide(ctx, point, prev) {
      const s = observe(ctx, point, prev);
      const avoid = (i: number) => s.avoidUntil[i]! > point.t;
      const score = (i: number) => expected(ctx, point, s, i);
      if (isForced(point)) {
        let best = argminAvailable(point, score, avoid);
        if (best < 0) best = argminAvailable(point, score); // every pool remembered: take what is there
        const reason = point.current < 0 ? 'first pick' : 'current pool unavailable';
        return { choice: best, state: moved(s, point.t), reason };
      }
      const stay = { choice: point.current, state: { ...s, pending: -1 } };
      const cur = point.current;
      // The dwell limits churn between spot pools; leaving on-demand is never held back by it.
      const onDemand = ctx.options[cur]!.kind === 'ondemand';
      if (!onDemand && point.t - s.lastMoveAt < params.minDwellSeconds) return { ...stay, reason: 'dwell' };
      const best = argminAvailable(point, (i) => (i === cur ? Number.POSITIVE_INFINITY : score(i)), avoid);
      if (best < 0) return { ...stay, reason: 'no alternative' };
      const curCost = score(cur);
      const moveCost = (ctx.overlapSeconds * point.prices[best]!) / 3600;
      const net = curCost - score(best) - moveCost;
      if (net <= (params.minSavingsPercent / 100) * curCost)
        return { ...stay, reason: 'saving below threshold' };
      // On-demand is only the fallback: leaving it for spot skips the persistence gates below.
      if (onDemand) return { choice: best, state: moved(s, point.t), reason: 'back to spot' };
      if (s.evidence[best]! < params.evidence * moveCost)
        return { ...stay, reason: 'gap not yet persistent' };
      // Hysteresis: the same move must still pay after confirmSeconds.
      const since = s.pending === best ? s.pendingSince : point.t;
      if (point.t - since < params.confirmSeconds) {
        return { choice: cur, state: { ...s, pending: best, pendingSince: since }, reason: 'confirming' };
      }
      return { choice: best, state: moved(s, point.t), reason: 'expected saving beats switching cost' };
    },
  };
}
