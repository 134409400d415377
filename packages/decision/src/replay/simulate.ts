// Drives one policy through the market's decision points, showing it only what is known at
// each point (that row's prices and availability), then scores the path it chose.
import type { AsyncPolicy } from '../model/model-policy.ts';
import type { Policy, PolicyContext } from '../policy/types.ts';
import { type CostParams, evaluatePath, type Outcome } from './cost.ts';
import type { Market } from './market.ts';

export interface PolicyRun {
  readonly path: Int32Array;
  readonly outcome: Outcome;
}

export function policyContext(m: Market, params: CostParams): PolicyContext {
  return { options: m.options, overlapSeconds: params.overlapSeconds, bootSeconds: params.bootSeconds };
}

export function simulate<S>(m: Market, policy: Policy<S>, params: CostParams): PolicyRun {
  const O = m.options.length;
  const K = m.times.length;
  const ctx = policyContext(m, params);
  const path = new Int32Array(K);
  let state = policy.init(ctx);
  let current = -1;
  for (let k = 0; k < K; k++) {
    const point = {
      t: m.times[k]!,
      current,
      prices: m.prices.subarray(k * O, (k + 1) * O),
      available: m.available.subarray(k * O, (k + 1) * O),
    };
    const d = policy.decide(ctx, point, state);
    if (!(d.choice >= 0 && d.choice < O) || point.available[d.choice] !== 1) {
      const at = new Date(point.t * 1000).toISOString();
      throw new Error(
        `policy ${policy.name} chose ${m.options[d.choice]?.id ?? d.choice}, not available at ${at}`,
      );
    }
    state = d.state;
    current = d.choice;
    path[k] = current;
  }
  return { path, outcome: evaluatePath(m, path, params) };
}

/**
 * The same walk for a policy that answers asynchronously (the ONNX `model` policy). Kept apart
 * from `simulate` so the synchronous policies keep their tight loop.
 */
export async function simulateAsync<S>(
  m: Market,
  policy: AsyncPolicy<S>,
  params: CostParams,
): Promise<PolicyRun> {
  const O = m.options.length;
  const K = m.times.length;
  const ctx = policyContext(m, params);
  const path = new Int32Array(K);
  let state = policy.init(ctx);
  let current = -1;
  for (let k = 0; k < K; k++) {
    const point = {
      t: m.times[k]!,
      current,
      prices: m.prices.subarray(k * O, (k + 1) * O),
      available: m.available.subarray(k * O, (k + 1) * O),
    };
    const d = await policy.decide(ctx, point, state);
    if (!(d.choice >= 0 && d.choice < O) || point.available[d.choice] !== 1) {
      const at = new Date(point.t * 1000).toISOString();
      throw new Error(
        `policy ${policy.name} chose ${m.options[d.choice]?.id ?? d.choice}, not available at ${at}`,
      );
    }
    state = d.state;
    current = d.choice;
    path[k] = current;
  }
  return { path, outcome: evaluatePath(m, path, params) };
}
