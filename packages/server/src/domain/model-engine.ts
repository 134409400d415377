/**
 * The model engine (issue 10's pluggable ML engine) and the one way any model is asked:
 * `runWithFallback`. The model only ranks: the product's hard rules (`hardGuards`, shared with
 * the rules engine) decide whether a move is possible at all and which pools may be scored,
 * the confirmation time still applies, and a model that throws, is too slow or breaks the
 * contract is answered by the rules engine instead — recorded as a fallback, never a lost
 * decision.
 */
import {
  DecisionInput,
  type DecisionOutput,
  type DecisionPoolFacts,
  type DecisionPricePoint,
  type ModelFallbackReason,
} from '@spot/contract';
import { FEATURE_COUNT, type PoolWindow, pairFeatures, pickByScore, type Scorer } from '@spot/decision';
import {
  checkAnswer,
  type DecisionEngine,
  type EngineResult,
  hardGuards,
  runEngine,
  stay,
} from './decision-engine.ts';

/** An engine whose answer is asynchronous (onnxruntime runs off the event loop). */
export interface AsyncDecisionEngine {
  readonly name: string;
  decide(input: DecisionInput): Promise<DecisionOutput>;
}

/** A model answer that breaks the model's declared contract (scores not finite or out of range). */
export class ModelContractError extends Error {
  override name = 'ModelContractError';
}

export interface ModelEngineOptions {
  readonly name: string;
  readonly scorer: Scorer;
  /** Least score to move (the model's declared threshold). */
  readonly threshold: number;
  /** Declared output range; scores outside it break the contract. */
  readonly range: readonly [number, number];
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** A pool's window for the features: cloud seconds relative to now (the features only use differences). */
function poolWindow(
  price: number,
  ondemand: number,
  history: readonly DecisionPricePoint[],
  nowMs: number,
  timeScale: number,
): PoolWindow {
  return {
    price,
    ondemand,
    times: history.map((p) => ((Date.parse(p.at) - nowMs) / 1000) * timeScale),
    prices: history.map((p) => p.price),
  };
}

/** Cloud seconds the target has been min_savings_percent cheaper than the current pool, ending now (the histories' step functions). */
function savingLasted(
  input: DecisionInput,
  target: DecisionPoolFacts,
  currentPrice: number,
  nowMs: number,
): number {
  const margin = 1 - input.config.min_savings_percent / 100;
  const cur = [...input.current.history];
  const tgt = [...target.history];
  const at = (h: DecisionPricePoint[], ms: number, latest: number) => {
    let v = Number.NaN;
    for (const p of h) if (Date.parse(p.at) <= ms) v = p.price;
    return ms >= nowMs ? latest : v;
  };
  const times = [...new Set([...cur, ...tgt].map((p) => Date.parse(p.at)))]
    .filter((ms) => ms < nowMs)
    .sort((a, b) => b - a);
  let since = nowMs;
  for (const ms of times) {
    const c = at(cur, ms, currentPrice);
    const t = at(tgt, ms, target.spot_price!);
    if (!(t < c * margin)) break;
    since = ms;
  }
  return ((nowMs - since) / 1000) * input.time_scale;
}

export function createModelEngine(opts: ModelEngineOptions): AsyncDecisionEngine {
  return {
    name: opts.name,
    async decide(input) {
      const g = hardGuards(input);
      if ('stay' in g) return g.stay;
      const { current, settings } = input;
      const { nowMs, currentPrice, cheaper } = g;
      // A type without a known on-demand price: ceiling from the others (as the rules engine does).
      const known = [current.ondemand_price, ...input.candidates.map((c) => c.ondemand_price)].filter(
        (p): p is number => p !== null && p > 0,
      );
      const fallbackOd = known.length > 0 ? Math.max(...known) : currentPrice * 4;
      const cur = poolWindow(
        currentPrice,
        current.ondemand_price ?? fallbackOd,
        current.history,
        nowMs,
        input.time_scale,
      );
      const rows = new Float32Array(cheaper.length * FEATURE_COUNT);
      cheaper.forEach((c, i) => {
        const w = poolWindow(
          c.spot_price!,
          c.ondemand_price ?? fallbackOd,
          c.history,
          nowMs,
          input.time_scale,
        );
        pairFeatures(cur, w, 0, rows, i * FEATURE_COUNT);
      });
      const scores = await opts.scorer.score(rows, cheaper.length);
      if (scores.length !== cheaper.length)
        throw new ModelContractError(`${scores.length} scores for ${cheaper.length} candidates`);
      for (const s of scores)
        if (!(Number.isFinite(s) && s >= opts.range[0] && s <= opts.range[1]))
          throw new ModelContractError(`score ${s} outside [${opts.range[0]}, ${opts.range[1]}]`);

      const savings = cheaper.map((c) => currentPrice - c.spot_price!);
      const pick = pickByScore(scores, savings, opts.threshold);
      const bestKey = (c: DecisionPoolFacts) => `${c.instance_type}@${c.availability_zone}`;
      if (pick.index < 0) {
        const best = scores[pick.best]!;
        return stay(
          `${opts.name}: best candidate ${bestKey(cheaper[pick.best]!)} scores ${best.toFixed(3)}, below ${opts.threshold}`,
          round6(Math.min(1, Math.max(0, 1 - best))),
        );
      }
      const target = cheaper[pick.index]!;
      const score = scores[pick.index]!;
      const lasted = savingLasted(input, target, currentPrice, nowMs);
      if (!(lasted >= settings.confirm_seconds))
        return stay(
          `${opts.name}: the saving in ${bestKey(target)} has lasted ${Math.round(lasted)} s of the ${settings.confirm_seconds} s it must`,
          0.6,
        );
      const saving = savings[pick.index]!;
      const savingPct = (saving / currentPrice) * 100;
      return {
        action: 'switch',
        target: { instance_type: target.instance_type, availability_zone: target.availability_zone },
        expected_saving_per_hour: round6(saving),
        urgent: savingPct >= settings.urgent_saving_percent,
        confidence: round6(Math.min(1, Math.max(0, score))),
        reason: `${opts.name}: ${bestKey(target)} is ${savingPct.toFixed(1)}% cheaper (${round6(saving)} USD/h), score ${score.toFixed(3)}`,
      };
    },
  };
}

/** The outcome of asking a model: the answer, which engine gave it, and why the rules stood in if they did. */
export interface AnsweredResult extends EngineResult {
  /** The engine that answered. */
  policy: string;
  fallback: { reason: ModelFallbackReason; message: string } | null;
}

/** Waits `ms`; `cancel` frees the timer. Injected by tests so no test waits on real time. */
export type Timer = (ms: number) => { done: Promise<void>; cancel(): void };

export const realTimer: Timer = (ms) => {
  let handle: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    handle = setTimeout(resolve, ms);
    handle.unref?.();
  });
  return { done, cancel: () => clearTimeout(handle) };
};

const TIMED_OUT = Symbol('timeout');

/**
 * Asks the model within `timeoutMs`, with every guarantee of `runEngine` (input validated, the
 * answer checked against the contract). On an error, a timeout or a broken answer the rules
 * engine answers instead and the result says so. An input that breaks the contract is not the
 * model's fault: the rules engine's wrapper answers "stay" as it always does.
 */
export async function runWithFallback(
  model: AsyncDecisionEngine,
  rules: DecisionEngine,
  raw: unknown,
  opts: { timeoutMs: number; timer?: Timer },
): Promise<AnsweredResult> {
  const input = DecisionInput.safeParse(raw);
  if (!input.success) return { ...runEngine(rules, raw), policy: rules.name, fallback: null };
  const fallBack = (reason: ModelFallbackReason, message: string): AnsweredResult => ({
    ...runEngine(rules, input.data),
    policy: rules.name,
    fallback: { reason, message: message.slice(0, 300) },
  });
  const timer = (opts.timer ?? realTimer)(opts.timeoutMs);
  let answer: unknown;
  try {
    answer = await Promise.race([
      // A model call that settles after the timeout is ignored (its rejection too).
      model.decide(input.data),
      timer.done.then(() => TIMED_OUT),
    ]);
  } catch (err) {
    return err instanceof ModelContractError
      ? fallBack('contract', err.message)
      : fallBack('error', `threw: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    timer.cancel();
  }
  if (answer === TIMED_OUT) return fallBack('timeout', `no answer within ${opts.timeoutMs} ms`);
  const checked = checkAnswer(input.data, answer);
  if (checked.violation) return fallBack('contract', checked.violation.message);
  return { ...checked, policy: model.name, fallback: null };
}
