// Runs the requested policies and the oracle over one market and assembles the result.
import { createPolicy, isPolicyName, type RulesParams } from '../policy/index.ts';
import type { CostParams, Outcome } from './cost.ts';
import type { Market } from './market.ts';
import { oracle } from './oracle.ts';
import { type ReplayResult, replayResult } from './report.ts';
import { type PolicyRun, simulate } from './simulate.ts';

export const DEFAULT_POLICIES = ['rules', 'cheapest_now', 'static', 'oracle'] as const;
export const REPLAY_POLICY_NAMES = ['rules', 'cheapest_now', 'static', 'oracle'] as const;

export interface ReplayRun {
  readonly result: ReplayResult;
  /** The option each policy held on each segment, for plots. */
  readonly paths: ReadonlyMap<string, Int32Array>;
}

export interface ReplayOptions extends CostParams {
  readonly policies?: readonly string[];
  readonly rules?: Partial<RulesParams>;
  /** Runs made elsewhere (the async `model` policy), reported after the named policies. */
  readonly extra?: readonly { name: string; run: PolicyRun }[];
}

export function runReplay(m: Market, opts: ReplayOptions): ReplayRun {
  const names = opts.policies ?? DEFAULT_POLICIES;
  // The oracle is always solved: every policy's regret is measured against it.
  const best = oracle(m, opts);
  const runs: { name: string; outcome: Outcome }[] = [];
  const paths = new Map<string, Int32Array>();
  for (const name of names) {
    if (name === 'oracle') {
      runs.push({ name, outcome: best.outcome });
      paths.set(name, best.path);
      continue;
    }
    if (!isPolicyName(name))
      throw new Error(`unknown policy "${name}" (known: ${REPLAY_POLICY_NAMES.join(', ')})`);
    const run = simulate(m, createPolicy(name, opts.rules), opts);
    runs.push({ name, outcome: run.outcome });
    paths.set(name, run.path);
  }
  for (const { name, run } of opts.extra ?? []) {
    runs.push({ name, outcome: run.outcome });
    paths.set(name, run.path);
  }
  return { result: replayResult(m, runs, best.outcome.costUsd), paths };
}
