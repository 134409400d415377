import type { Ec2Port, InstanceView } from '../aws/ec2-adapter.ts';
import { awsFailure, isNotFound } from '../aws/errors.ts';
import { abortableSleep } from '../util/backoff.ts';

/**
 * Confirmation by polling AWS (the seeds' loop: every 5 s, launch 5 min / terminate 3 min
 * at most). Not the SDK waiters: they back off exponentially between minDelay and maxDelay
 * and treat a pending instance as a terminated-waiter failure (STACK-NOTES); this loop
 * checks at once, then at a fixed interval, and knows EC2's eventual consistency (a fresh
 * id may be NotFound for a moment).
 */
export type WaitOutcome =
  | { outcome: 'reached'; view: InstanceView | null }
  | { outcome: 'failed'; state: string; reason: string | null }
  | { outcome: 'timeout'; lastState: string | null }
  | { outcome: 'aborted' };

export interface WaitOptions {
  pollMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onError?: (err: unknown) => void;
}

export async function waitForState(
  ec2: Ec2Port,
  cloudInstanceId: string,
  target: 'running' | 'terminated',
  opts: WaitOptions,
): Promise<WaitOutcome> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const deadline = now() + opts.timeoutMs;
  let lastState: string | null = null;
  for (;;) {
    if (opts.signal?.aborted) return { outcome: 'aborted' };
    try {
      const [view] = await ec2.describeInstances([cloudInstanceId]);
      if (view) {
        lastState = view.state;
        const decided = judge(view, target);
        if (decided) return decided;
      } else if (target === 'terminated') {
        return { outcome: 'reached', view: null }; // EC2 forgot it: long gone
      }
    } catch (err) {
      if (isNotFound(err)) {
        // Right after RunInstances: not visible yet. For a termination: gone.
        if (target === 'terminated') return { outcome: 'reached', view: null };
      } else {
        opts.onError?.(err);
        lastState ??= `error:${awsFailure(err).code}`;
      }
    }
    const left = deadline - now();
    if (left <= 0) return { outcome: 'timeout', lastState };
    await sleep(Math.min(opts.pollMs, left), opts.signal);
  }
}

function judge(view: InstanceView, target: 'running' | 'terminated'): WaitOutcome | null {
  if (target === 'running') {
    if (view.state === 'running') return { outcome: 'reached', view };
    if (['shutting-down', 'terminated', 'stopping', 'stopped'].includes(view.state))
      return { outcome: 'failed', state: view.state, reason: view.stateReason };
    return null;
  }
  if (view.state === 'terminated') return { outcome: 'reached', view };
  return null;
}
