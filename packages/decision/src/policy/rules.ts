// The default policy. It moves only when the expected saving beats the cost of moving, and it
// values each option by two things:
// - hindsight: the option's work function, the least cost of any history that ends on it
//   (switches billed like real ones, × switchCostWeight). Two options' work functions differ by
//   what being on one rather than the other has really saved lately, net of moving there, and
//   never by more than a switch. This is the hysteresis: a gap counts once it has lasted long
//   enough to pay for the move, a brief dip never does, and moving back needs the same proof;
// - the horizon ahead: the current price plus an interruption prior (a decayed count of recent
//   episodes where the pool's price reached spikeFraction × on-demand, each expected episode
//   charged an overlap and the boot downtime), held for horizonSeconds.
// It moves to the best option when that option is min_savings_percent cheaper per hour and its
// value beats the current one's by more than the switch, not within minDwellSeconds of the last
// move, and never to a pool seen unavailable within unavailableMemorySeconds. A forced move
// (interruption) takes the best option at once. The defaults were tuned on the spotdata traces
// (packages/decision/README.md).
import { z } from 'zod';
import { argminAvailable, type DecisionPoint, isForced, type Policy, type PolicyContext } from './types.ts';

export const RulesParamsSchema = z.object({
  /** The target must be at least this % cheaper per hour (expected) than the current option. */
  minSavingsPercent: z.number().min(0).max(100).default(5),
  /** How far ahead the current prices are assumed to hold. */
  horizonSeconds: z.number().min(0).default(1800),
  /** No voluntary move this soon after the previous one (default: one overlap). */
  minDwellSeconds: z.number().min(0).default(300),
  /** A pool seen unavailable is not chosen again for this long (the product's 3-minute rule). */
  unavailableMemorySeconds: z.number().min(0).default(180),
  /** Switch cost as a multiple of its overlap bill, in hindsight and in the decision. */
  switchCostWeight: z.number().min(0).default(1.5),
  /** Weight of the work function (0: decide on the horizon alone). */
  hindsightWeight: z.number().min(0).default(1),
  /** A price at or above this fraction of on-demand counts as a spike episode. */
  spikeFraction: z.number().positive().max(1).default(0.5),
  /** Time constant over which past spike episodes are forgotten. */
  riskSeconds: z
    .number()
    .positive()
    .default(24 * 3600),
  /** Multiplier of the charge per expected interruption. */
  riskWeight: z.number().min(0).default(4),
  /** Value of one hour of downtime as a multiple of the on-demand price (lost work while booting). */
  downtimeValue: z.number().min(0).default(1),
});
export type RulesParams = z.infer<typeof RulesParamsSchema>;

export interface RulesState {
  /** Time of the previous decision point (NaN before the first). */
  readonly lastT: number;
  readonly lastMoveAt: number;
  /** Per option: price at the previous decision point (held over the segment since). */
  readonly lastPrice: Float64Array;
  /** Per option: work function, USD above the best option (Infinity while unavailable). */
  readonly work: Float64Array;
  /** Per option: decayed count of spike episodes. */
  readonly risk: Float64Array;
  /** Per option: 1 while in a spike episode, so one episode counts once. */
  readonly spiking: Uint8Array;
  /** Per option: remembered unavailable until this time. */
  readonly avoidUntil: Float64Array;
}

export function createRules(
  overrides: Partial<RulesParams> = {},
): Policy<RulesState> & { params: RulesParams } {
  const params = RulesParamsSchema.parse(overrides);

  function switchCost(ctx: PolicyContext, price: number): number {
    return (params.switchCostWeight * ctx.overlapSeconds * price) / 3600;
  }

  /** The work function after the segment just ended (dt seconds at lastPrice), minimum 0. */
  function nextWork(ctx: PolicyContext, s: RulesState, dt: number): Float64Array {
    const n = ctx.options.length;
    const work = new Float64Array(n);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) best = Math.min(best, s.work[i]!);
    if (!Number.isFinite(best)) best = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const price = s.lastPrice[i]!;
      const o = ctx.options[i]!;
      if (Number.isNaN(price) || (o.kind === 'spot' && price >= o.ondemandPrice)) {
        work[i] = Number.POSITIVE_INFINITY;
        continue;
      }
      // Either it was held already, or the cheapest history moved into it; then it was held for dt.
      work[i] = Math.min(s.work[i]!, best + switchCost(ctx, price)) + (price * dt) / 3600;
      min = Math.min(min, work[i]!);
    }
    if (Number.isFinite(min)) for (let i = 0; i < n; i++) work[i] = work[i]! - min;
    return work;
  }

  /** Everything learnt from the prices seen at this point. Returns a new state (pure). */
  function observe(ctx: PolicyContext, p: DecisionPoint, s: RulesState): RulesState {
    const n = ctx.options.length;
    const dt = Number.isFinite(s.lastT) ? Math.max(0, p.t - s.lastT) : 0;
    const keep = Math.exp(-dt / params.riskSeconds);
    const risk = new Float64Array(n);
    const spiking = new Uint8Array(n);
    const avoidUntil = Float64Array.from(s.avoidUntil);
    for (let i = 0; i < n; i++) {
      const price = p.prices[i]!;
      const o = ctx.options[i]!;
      const seen = o.kind === 'spot' && !Number.isNaN(price);
      const high = seen && (p.available[i] !== 1 || price >= params.spikeFraction * o.ondemandPrice);
      risk[i] = s.risk[i]! * keep + (high && s.spiking[i] === 0 ? 1 : 0);
      spiking[i] = high ? 1 : 0;
      if (seen && p.available[i] !== 1) avoidUntil[i] = p.t + params.unavailableMemorySeconds;
    }
    return {
      ...s,
      lastT: p.t,
      lastPrice: Float64Array.from(p.prices),
      work: nextWork(ctx, s, dt),
      risk,
      spiking,
      avoidUntil,
    };
  }

  /** Expected USD/h of holding option i: its price plus the expected cost of its interruptions. */
  function expectedRate(ctx: PolicyContext, p: DecisionPoint, s: RulesState, i: number): number {
    const price = p.prices[i]!;
    const o = ctx.options[i]!;
    const episodesPerHour = (s.risk[i]! / params.riskSeconds) * 3600;
    const perEpisode =
      (ctx.overlapSeconds * price + ctx.bootSeconds * params.downtimeValue * o.ondemandPrice) / 3600;
    return price + params.riskWeight * episodesPerHour * perEpisode;
  }

  return {
    name: 'rules',
    params,
    init(ctx) {
      const n = ctx.options.length;
      return {
        lastT: Number.NaN,
        lastMoveAt: Number.NEGATIVE_INFINITY,
        lastPrice: new Float64Array(n).fill(Number.NaN),
        work: new Float64Array(n),
        risk: new Float64Array(n),
        spiking: new Uint8Array(n),
        avoidUntil: new Float64Array(n),
      };
    },
    decide(ctx, point, prev) {
      const s = observe(ctx, point, prev);
      const avoid = (i: number) => s.avoidUntil[i]! > point.t;
      const rate = (i: number) => expectedRate(ctx, point, s, i);
      // An option just back from unavailability has no recent history: it starts level with the best.
      const hindsight = (i: number) => (Number.isFinite(s.work[i]!) ? s.work[i]! : 0);
      const value = (i: number) =>
        params.hindsightWeight * hindsight(i) + (rate(i) * params.horizonSeconds) / 3600;
      const move = (choice: number, reason: string) => ({
        choice,
        state: { ...s, lastMoveAt: point.t },
        reason,
      });

      if (isForced(point)) {
        let best = argminAvailable(point, value, avoid);
        if (best < 0) best = argminAvailable(point, value); // every pool remembered: take what is there
        return move(best, point.current < 0 ? 'first pick' : 'current pool unavailable');
      }
      const cur = point.current;
      const stay = (reason: string) => ({ choice: cur, state: s, reason });
      // The dwell limits churn between spot pools; leaving on-demand is never held back by it.
      const onDemand = ctx.options[cur]!.kind === 'ondemand';
      if (!onDemand && point.t - s.lastMoveAt < params.minDwellSeconds) return stay('dwell');
      const best = argminAvailable(point, (i) => (i === cur ? Number.POSITIVE_INFINITY : value(i)), avoid);
      if (best < 0) return stay('no alternative');
      if (rate(best) > rate(cur) * (1 - params.minSavingsPercent / 100))
        return stay('saving below min_savings_percent');
      if (value(cur) - value(best) <= switchCost(ctx, point.prices[best]!))
        return stay('saving does not pay for the switch');
      return move(best, 'expected saving beats the switching cost');
    },
  };
}
