import { assertNever } from './errors.ts';

/**
 * The switch process manager (DESIGN §9), pure. A switch moves a workload's PRIMARY role to
 * an instance in another pool:
 *
 *   launching ──target_ready──▶ promoting ──promote_succeeded──▶ completed
 *       │                          │
 *       └─ target_failed / timed_out / promote_failed / source_lost ─▶ failed
 *
 * `launching`: the target is being launched as a REPLICA (or, for a promotion, is already
 * one); it is ready when it is RUNNING and its own agent has joined. `promoting`: the target's
 * agent performs the cut-over (moves the Elastic IP to itself) and reports; only then does
 * the server demote the old primary and make the target PRIMARY, in one transaction.
 *
 * The services persist the phase and carry out the effects this function names; nothing
 * else moves a switch. Any failure leaves the old primary serving and cleans up what the
 * switch launched.
 */

export type SwitchPhase = 'launching' | 'promoting' | 'completed' | 'failed';
export type SwitchStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface SwitchState {
  phase: SwitchPhase;
  /** The target was launched for this switch (so a failure terminates it), not a ready replica. */
  targetLaunchedBySwitch: boolean;
}

export type SwitchEvent =
  | { type: 'target_ready' }
  | { type: 'target_failed'; error_code: string; message: string | null }
  | { type: 'promote_succeeded' }
  | { type: 'promote_failed'; error_code: string; message: string | null }
  | { type: 'timed_out'; error_code: string; message: string };

export type SwitchEffect =
  /** target → PROMOTING, and a PROMOTE_REPLICA command for the target's own agent. */
  | { type: 'request_promotion' }
  /** old primary → ZOMBIE (then terminated), target → PRIMARY, downtime recorded. */
  | { type: 'complete_cutover' }
  /** a target left PROMOTING goes back to a serving replica. */
  | { type: 'abort_promotion' }
  /** terminate the target (only one this switch launched). */
  | { type: 'terminate_target' };

export type SwitchStep =
  | {
      kind: 'apply';
      phase: SwitchPhase;
      status: SwitchStatus;
      effects: SwitchEffect[];
      error: { code: string; message: string | null } | null;
    }
  /** The switch already ended or moved past this event: record nothing, change nothing. */
  | { kind: 'ignore'; why: string };

export function statusOf(phase: SwitchPhase): SwitchStatus {
  switch (phase) {
    case 'launching':
    case 'promoting':
      return 'IN_PROGRESS';
    case 'completed':
      return 'COMPLETED';
    case 'failed':
      return 'FAILED';
    default:
      return assertNever(phase);
  }
}

export const isOpen = (phase: SwitchPhase) => statusOf(phase) === 'IN_PROGRESS';

function to(
  phase: SwitchPhase,
  effects: SwitchEffect[],
  error: { code: string; message: string | null } | null = null,
): SwitchStep {
  return { kind: 'apply', phase, status: statusOf(phase), effects, error };
}

/** What a failure must undo, by how far the switch got. */
function failFrom(state: SwitchState, code: string, message: string | null): SwitchStep {
  const effects: SwitchEffect[] = [];
  if (state.phase === 'promoting') effects.push({ type: 'abort_promotion' });
  if (state.targetLaunchedBySwitch) effects.push({ type: 'terminate_target' });
  return to('failed', effects, { code, message });
}

export function stepSwitch(state: SwitchState, event: SwitchEvent): SwitchStep {
  if (!isOpen(state.phase)) return { kind: 'ignore', why: `switch already ${state.phase}` };
  switch (event.type) {
    case 'target_ready':
      if (state.phase !== 'launching') return { kind: 'ignore', why: 'target already promoting' };
      return to('promoting', [{ type: 'request_promotion' }]);
    case 'promote_succeeded':
      if (state.phase !== 'promoting') return { kind: 'ignore', why: 'no promotion was requested' };
      return to('completed', [{ type: 'complete_cutover' }]);
    case 'target_failed':
    case 'promote_failed':
    case 'timed_out':
      return failFrom(state, event.error_code, event.message);
    default:
      return assertNever(event);
  }
}

/**
 * Downtime of a switch (DESIGN §9): the time the workload had no serving primary.
 * - The old primary served until the cut-over: only the cut-over itself counts (the agent's
 *   AssociateAddress window, `cutover` — zero without an Elastic IP, the role moves in one
 *   transaction).
 * - It stopped serving earlier (reclaimed, failed, offline; `sourceEndedAt`): from then
 *   until the new primary serves.
 * - There was no primary at all (`sourceEndedAt` null and no source): nothing to measure from.
 */
export function switchDowntimeSeconds(p: {
  hadSource: boolean;
  sourceEndedAt: Date | null;
  cutoverStartedAt: Date | null;
  cutoverCompletedAt: Date | null;
  promotedAt: Date;
}): number | null {
  const servingAt = p.cutoverCompletedAt ?? p.promotedAt;
  if (p.sourceEndedAt) return Math.max(0, (servingAt.getTime() - p.sourceEndedAt.getTime()) / 1000);
  if (!p.hadSource) return null;
  if (p.cutoverStartedAt && p.cutoverCompletedAt)
    return Math.max(0, (p.cutoverCompletedAt.getTime() - p.cutoverStartedAt.getTime()) / 1000);
  return 0;
}
