import { cheapestNow } from './cheapest-now.ts';
import { createRules, type RulesParams } from './rules.ts';
import { staticPolicy } from './static.ts';
import type { Policy } from './types.ts';

/** Policies replay can run; `oracle` is not one (it needs the future) and lives in replay. */
export const POLICY_NAMES = ['rules', 'cheapest_now', 'static'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

export function createPolicy(name: PolicyName, rules: Partial<RulesParams> = {}): Policy<unknown> {
  if (name === 'rules') return createRules(rules) as Policy<unknown>;
  if (name === 'cheapest_now') return cheapestNow as Policy<unknown>;
  return staticPolicy as Policy<unknown>;
}

export { cheapestNow } from './cheapest-now.ts';
export { createRules, type RulesParams, RulesParamsSchema, type RulesState } from './rules.ts';
export { staticPolicy } from './static.ts';
export * from './types.ts';
