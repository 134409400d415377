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
    const dt = Number.isFinite(s.lastT) ? Math.max(0, p.t - s.lastT) : 0;
    const keepMean = Math.exp(-dt / params.meanSeconds);
    const keepRisk = Math.exp(-dt / params.riskSeconds);
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
      lastPrice[i] = price;
    }
    return { ...s, lastT: p.t, mean, risk, spiking, avoidUntil, lastPrice };
  }

  /** Expected cost of holding option i over the horizon, USD (excluding any move). */
  function expected(ctx: PolicyContext, p: DecisionPoint, s: RulesState, i: number): number {
    const price = p.prices[i]!;
    const forecast =
      params.currentWeight * price +
      (1 - params.currentWeight) * (Number.isNaN(s.mean[i]!) ? price : s.mean[i]!);
    const o = ctx.options[i]!;
    // Episodes per second recently, times what one costs: overlap into elsewhere, and downtime.
    const rate = s.risk[i]! / params.riskSeconds;
    const perInterruption =
      (ctx.overlapSeconds * forecast + ctx.bootSeconds * params.downtimeValue * o.ondemandPrice) / 3600;
    return (forecast * H) / 3600 + params.riskWeight * rate * H * perInterruption;
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
        return { choice: best, state: { ...s, lastMoveAt: point.t, pending: -1 }, reason };
      }
      const stay = { choice: point.current, state: { ...s, pending: -1 } };
      const cur = point.current;
      // The dwell limits churn between spot pools; leaving on-demand for spot is never held back by it.
      const onDemand = ctx.options[cur]!.kind === 'ondemand';
      if (!onDemand && point.t - s.lastMoveAt < params.minDwellSeconds) return { ...stay, reason: 'dwell' };
      const best = argminAvailable(point, (i) => (i === cur ? Number.POSITIVE_INFINITY : score(i)), avoid);
      if (best < 0) return { ...stay, reason: 'no alternative' };
      const curCost = score(cur);
      const moveCost = (ctx.overlapSeconds * point.prices[best]!) / 3600;
      const net = curCost - score(best) - moveCost;
      if (net <= (params.minSavingsPercent / 100) * curCost)
        return { ...stay, reason: 'saving below threshold' };
      // Hysteresis: the same move must still pay after confirmSeconds.
      if (s.pending !== best)
        return { choice: cur, state: { ...s, pending: best, pendingSince: point.t }, reason: 'confirming' };
      if (point.t - s.pendingSince < params.confirmSeconds)
        return { choice: cur, state: s, reason: 'confirming' };
      return {
        choice: best,
        state: { ...s, lastMoveAt: point.t, pending: -1 },
        reason: 'expected saving beats switching cost',
      };
    },
  };
}
