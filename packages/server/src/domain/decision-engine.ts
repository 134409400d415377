/**
 * The decision engine (issue 10), pure: one interface whose input and output are checked
 * against the contract on every call, and the default engine, which adapts the `rules`
 * policy of @spot/decision to what the server knows about a workload.
 *
 * The policy's state is recomputed on every call, not kept in memory: `rules` is replayed
 * over the price history carried in the input (each pool's price changes over the lookback
 * window), so a decision depends on its recorded input alone — it can be reproduced from the
 * decisions table, survives a restart, and is the same on every server process.
 *
 * On top of the policy the engine holds the product's hard rules: only `auto_switch` moves,
 * never off on-demand (return-to-spot does that), never to a pool in the unavailable memory,
 * never within `min_switch_interval_seconds` of the agent's previous switch, never for less
 * than `min_savings_percent`, and only for a saving that has lasted `confirm_seconds` in the
 * history (hysteresis in time: a brief dip never moves a workload; the policy's work function
 * is the hysteresis in price: moving back needs the same proof).
 */
import {
  DecisionInput,
  DecisionOutput,
  type DecisionPoolFacts,
  type DecisionPricePoint,
} from '@spot/contract';
import {
  createRules,
  type DecisionPoint,
  type OptionInfo,
  type PolicyContext,
  type RulesState,
} from '@spot/decision';

/** The one interface: a named engine answering a valid input. */
export interface DecisionEngine {
  readonly name: string;
  decide(input: DecisionInput): DecisionOutput;
}

export type ContractSide = 'input' | 'output';

export interface EngineResult {
  output: DecisionOutput;
  /** Set when the input or the output broke the contract: the output is then "stay". */
  violation: { side: ContractSide; message: string } | null;
}

export function stay(reason: string, confidence = 1): DecisionOutput {
  return { action: 'stay', target: null, expected_saving_per_hour: 0, urgent: false, confidence, reason };
}

/**
 * Every call goes through here: the input is parsed before the engine sees it, the answer
 * after; either failing (or the engine throwing) gives "stay" with the violation named.
 */
export function runEngine(engine: DecisionEngine, raw: unknown): EngineResult {
  const input = DecisionInput.safeParse(raw);
  if (!input.success)
    return {
      output: stay('invalid decision input', 0),
      violation: { side: 'input', message: summarize(input.error.issues) },
    };
  let answer: unknown;
  try {
    answer = engine.decide(input.data);
  } catch (err) {
    return {
      output: stay('decision engine failed', 0),
      violation: { side: 'output', message: `threw: ${(err as Error).message ?? String(err)}`.slice(0, 300) },
    };
  }
  return checkAnswer(input.data, answer);
}

/** The output side of the contract: the answer parses, and a switch targets an allowed candidate. */
export function checkAnswer(input: DecisionInput, answer: unknown): EngineResult {
  const output = DecisionOutput.safeParse(answer);
  if (!output.success)
    return {
      output: stay('invalid decision output', 0),
      violation: { side: 'output', message: summarize(output.error.issues) },
    };
  // A target the contract allows but the input forbids is a broken answer too.
  if (output.data.action === 'switch') {
    const t = output.data.target;
    const c = input.candidates.find(
      (p) => p.instance_type === t.instance_type && p.availability_zone === t.availability_zone,
    );
    const why = !c
      ? 'target is not a candidate pool'
      : c.unavailable
        ? 'target is in the unavailable-pool memory'
        : t.instance_type === input.current.instance_type &&
            t.availability_zone === input.current.availability_zone
          ? 'target is the current pool'
          : null;
    if (why)
      return { output: stay('invalid decision output', 0), violation: { side: 'output', message: why } };
  }
  return { output: output.data, violation: null };
}

function summarize(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ')
    .slice(0, 300);
}

/** Model time: seconds in the cloud's time, offset so every point is positive (the policy's memory starts at 0). */
const T0 = 1e9;

interface Series {
  ms: number[];
  price: number[];
}

function series(history: readonly DecisionPricePoint[], latest: number | null, nowMs: number): Series {
  const ms = history.map((p) => Date.parse(p.at));
  const price = history.map((p) => p.price);
  // The latest price holds now even when the history window missed it.
  if (latest !== null && (price.length === 0 || price[price.length - 1] !== latest)) {
    ms.push(Math.min(nowMs, ms[ms.length - 1] ?? nowMs));
    price.push(latest);
  }
  return { ms, price };
}

/** The step function's value at `at` (NaN before its first point); `from` is where to start looking (times rise). */
function priceAt(s: Series, at: number, from: number): { price: number; next: number } {
  let i = from;
  while (i < s.ms.length && s.ms[i]! <= at) i++;
  return { price: i > 0 ? s.price[i - 1]! : Number.NaN, next: i };
}

export interface RulesEngineOptions {
  /** Seconds of lost service per interruption (the policy's interruption prior charges it). */
  bootSeconds?: number;
}

/** What passes the product's hard rules: the workload may move, and these targets are cheaper by the margin. */
export type Guarded =
  | { stay: DecisionOutput }
  | {
      nowMs: number;
      /** Epoch ms of the agent's previous switch (−Infinity without one). */
      lastSwitch: number;
      currentPrice: number;
      /** Every candidate other than the current pool. */
      targets: DecisionPoolFacts[];
      /** Those available, priced below on-demand and min_savings_percent cheaper than the current price now. */
      cheaper: DecisionPoolFacts[];
    };

/**
 * The hard rules every engine obeys before it is asked anything (the rules engine and the
 * model engine share them): only auto_switch, never off on-demand, a known current price, not
 * within the minimum time between switches, and a target that is available and cheaper by
 * min_savings_percent now.
 */
export function hardGuards(input: DecisionInput): Guarded {
  const { current, config, settings } = input;
  if (config.mode !== 'auto_switch') return { stay: stay(`mode is ${config.mode}`) };
  if (current.market !== 'spot' || current.availability_zone === null)
    return { stay: stay('on on-demand: return-to-spot decides when to leave') };
  if (current.price === null) return { stay: stay('the current pool has no reported price', 0.5) };
  const currentPrice = current.price;
  const nowMs = Date.parse(input.now);
  const lastSwitch = Math.max(
    ...input.recent_switches.map((s) => Date.parse(s.at)),
    Number.NEGATIVE_INFINITY,
  );
  const sinceSwitch = ((nowMs - lastSwitch) / 1000) * input.time_scale;
  if (sinceSwitch < settings.min_switch_interval_seconds)
    return {
      stay: stay(
        `within the minimum time between switches (${Math.round(sinceSwitch)} s of ${settings.min_switch_interval_seconds} s)`,
      ),
    };
  const targets = input.candidates.filter(
    (c) => !(c.instance_type === current.instance_type && c.availability_zone === current.availability_zone),
  );
  if (targets.length === 0) return { stay: stay('no candidate pool other than the current one') };
  const cheaper = targets.filter(
    (c) =>
      !c.unavailable &&
      c.spot_price !== null &&
      c.spot_price < currentPrice * (1 - config.min_savings_percent / 100) &&
      (c.ondemand_price === null || c.spot_price < c.ondemand_price),
  );
  if (cheaper.length === 0)
    return {
      stay: stay(
        targets.every((c) => c.unavailable || c.spot_price === null)
          ? 'no available priced candidate'
          : `no available candidate ${config.min_savings_percent}% cheaper`,
      ),
    };
  return { nowMs, lastSwitch, currentPrice, targets, cheaper };
}

/** The default engine: `rules` from @spot/decision, its state recomputed from the input's history. */
export function createRulesEngine(opts: RulesEngineOptions = {}): DecisionEngine {
  const bootSeconds = opts.bootSeconds ?? 120;
  return {
    name: 'rules',
    decide(input) {
      const g = hardGuards(input);
      if ('stay' in g) return g.stay;
      const { current, config, settings } = input;
      const { nowMs, lastSwitch, targets, currentPrice } = g;
      const toT = (ms: number) => T0 + ((ms - nowMs) / 1000) * input.time_scale;

      // The options the policy chooses among: the current pool first, then the targets.
      const known = [current.ondemand_price, ...targets.map((c) => c.ondemand_price)].filter(
        (p): p is number => p !== null && p > 0,
      );
      const allPrices = [
        currentPrice,
        ...targets.flatMap((c) => [c.spot_price ?? 0, ...c.history.map((h) => h.price)]),
      ];
      // A type without a known on-demand price: ceiling from the others (or 4× the highest spot seen).
      const fallbackOd = known.length > 0 ? Math.max(...known) : Math.max(...allPrices, 0.0001) * 4;
      const pools = [
        {
          key: `${current.instance_type}@${current.availability_zone}`,
          od: current.ondemand_price,
          s: series(current.history, currentPrice, nowMs),
          type: current.instance_type,
          az: current.availability_zone,
          unavailable: false,
        },
        ...targets.map((c) => ({
          key: `${c.instance_type}@${c.availability_zone}`,
          od: c.ondemand_price,
          s: series(c.history, c.spot_price, nowMs),
          type: c.instance_type,
          az: c.availability_zone,
          unavailable: c.unavailable,
        })),
      ];
      const options: OptionInfo[] = pools.map((p) => ({
        id: p.key,
        kind: 'spot',
        instanceType: p.type,
        region: '',
        az: p.az,
        ondemandPrice: p.od ?? fallbackOd,
      }));
      const ctx: PolicyContext = { options, overlapSeconds: settings.overlap_seconds, bootSeconds };
      const rules = rulesFor(config.min_savings_percent, settings.min_switch_interval_seconds);

      // Decision points: every price change in the window, then now.
      const times = [...new Set(pools.flatMap((p) => p.s.ms).filter((ms) => ms < nowMs))].sort(
        (a, b) => a - b,
      );
      times.push(nowMs);
      let state: RulesState = rules.init(ctx);
      // Per target: since when (ms) it has been cheaper than the current pool by the margin, without a break.
      const cheaperSince = new Array<number>(pools.length).fill(Number.NaN);
      let last: { point: DecisionPoint; choice: number; reason: string | undefined } | null = null;
      const cursor = new Array<number>(pools.length).fill(0);
      for (const ms of times) {
        const isNow = ms === nowMs;
        const prices = new Float64Array(pools.length);
        const available = new Uint8Array(pools.length);
        pools.forEach((p, i) => {
          const at = priceAt(p.s, ms, cursor[i]!);
          cursor[i] = at.next;
          prices[i] = at.price;
          const od = options[i]!.ondemandPrice;
          available[i] =
            !Number.isNaN(prices[i]!) && prices[i]! < od && !(isNow && i > 0 && p.unavailable) ? 1 : 0;
        });
        const cur = prices[0]!;
        for (let i = 1; i < pools.length; i++) {
          const ok =
            available[i] === 1 &&
            !Number.isNaN(cur) &&
            prices[i]! < cur * (1 - config.min_savings_percent / 100);
          if (!ok) cheaperSince[i] = Number.NaN;
          else if (Number.isNaN(cheaperSince[i]!)) cheaperSince[i] = ms;
        }
        // The workload holds the current pool throughout (the policy's own past moves are not ours).
        const point: DecisionPoint = { t: toT(ms), current: available[0] === 1 ? 0 : -1, prices, available };
        if (isNow)
          state = {
            ...state,
            lastMoveAt: Number.isFinite(lastSwitch) ? toT(lastSwitch) : Number.NEGATIVE_INFINITY,
          };
        const d = rules.decide(ctx, point, state);
        state = d.state;
        if (isNow) last = { point, choice: d.choice, reason: d.reason };
      }
      if (last?.point.current !== 0) return stay('the current pool is at or above on-demand', 0.5);
      if (last.choice === 0 || last.choice < 0) return stay(`rules: ${last.reason ?? 'stay'}`, 0.7);

      const target = pools[last.choice]!;
      const targetPrice = last.point.prices[last.choice]!;
      const lasted = ((nowMs - cheaperSince[last.choice]!) / 1000) * input.time_scale;
      if (!(lasted >= settings.confirm_seconds))
        return stay(
          `the saving in ${target.key} has lasted ${Number.isFinite(lasted) ? Math.round(lasted) : 0} s of the ${settings.confirm_seconds} s it must`,
          0.6,
        );
      const saving = currentPrice - targetPrice;
      if (!(saving > 0)) return stay('no saving at the prices now');
      const savingPct = (saving / currentPrice) * 100;
      const facts = input.candidates.find((c) => `${c.instance_type}@${c.availability_zone}` === target.key);
      // Confidence: how long the saving has lasted against the confirmation time, less the target's volatility
      // and the workload's recent interruptions.
      const persistence = Math.min(1, lasted / Math.max(1, 4 * settings.confirm_seconds));
      const confidence = Math.max(
        0.05,
        Math.min(
          1,
          (0.5 + 0.5 * persistence) * (1 - Math.min(0.5, facts?.volatility ?? 0)) -
            0.1 * Math.min(3, input.recent_interruptions.length),
        ),
      );
      return {
        action: 'switch',
        target: { instance_type: target.type, availability_zone: target.az! },
        expected_saving_per_hour: round6(saving),
        urgent: savingPct >= settings.urgent_saving_percent,
        confidence: round6(confidence),
        reason: `${target.key} is ${savingPct.toFixed(1)}% cheaper (${round6(saving)} USD/h) for ${Math.round(lasted)} s; rules: ${last.reason ?? 'move'}`,
      };
    },
  };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The policy is pure: one instance per parameter set serves every call (its parameters are parsed once). */
const rulesCache = new Map<string, ReturnType<typeof createRules>>();
function rulesFor(minSavingsPercent: number, minDwellSeconds: number): ReturnType<typeof createRules> {
  const key = `${minSavingsPercent}/${minDwellSeconds}`;
  let rules = rulesCache.get(key);
  if (!rules) {
    if (rulesCache.size > 1000) rulesCache.clear();
    rules = createRules({ minSavingsPercent, minDwellSeconds });
    rulesCache.set(key, rules);
  }
  return rules;
}

/** Coefficient of variation of a series of prices (null below two points). */
export function volatility(prices: readonly number[]): number | null {
  if (prices.length < 2) return null;
  const mean = prices.reduce((a, b) => a + b, 0) / prices.length;
  if (mean <= 0) return 0;
  const variance = prices.reduce((a, b) => a + (b - mean) ** 2, 0) / prices.length;
  return round6(Math.sqrt(variance) / mean);
}
