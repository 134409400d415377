import type { Ec2Port, InstanceView } from '../aws/ec2-adapter.ts';
import { isNotFound } from '../aws/errors.ts';
import type { Report } from '../server-client/agent-api.ts';
import type { Journal, TrackedInstance } from '../state-store/journal.ts';
import type { Logger } from '../util/logger.ts';

export type ReconcileAction =
  | { kind: 'none' }
  | { kind: 'external-termination'; state: string }
  | { kind: 'our-termination' };

/**
 * Pure: what an observation of a tracked instance means. A running (or our own host)
 * instance that EC2 is taking away without our command is a reclaim: that is how a spot
 * interruption reaches the server (AWS interrupts, the instance disappears). Shutting-down
 * is already irreversible, and our own host may not live to see "terminated".
 * A launch or termination in progress is left to its executor.
 */
export function judgeTracked(t: TrackedInstance, observed: string | 'gone'): ReconcileAction {
  const going = observed === 'shutting-down' || observed === 'terminated' || observed === 'gone';
  if (t.phase === 'running' && going) return { kind: 'external-termination', state: observed };
  // A termination its executor still waits on is the executor's to confirm: reporting it
  // here too raced the executor and sent a second confirmation (found by the e2e suite).
  if (t.phase === 'unconfirmed' && (observed === 'terminated' || observed === 'gone'))
    return { kind: 'our-termination' };
  return { kind: 'none' };
}

/** DescribeInstances for the instances it launched and its own → reports what AWS did behind our back. */
export function reconcileTask(opts: {
  ec2: Ec2Port;
  journal: Journal;
  saveJournal: () => Promise<void>;
  report: (r: Report) => Promise<unknown>;
  log: Logger;
}) {
  return async () => {
    const tracked = opts.journal.tracked().filter(([, t]) => t.phase !== 'launching');
    if (tracked.length === 0) return;
    const views = await describeTolerant(
      opts.ec2,
      tracked.map(([, t]) => t.cloud_instance_id),
    );
    let changed = false;
    for (const [instanceId, t] of tracked) {
      const observed = views.get(t.cloud_instance_id)?.state ?? 'gone';
      const action = judgeTracked(t, observed);
      if (action.kind === 'none') continue;
      const external = action.kind === 'external-termination';
      if (external)
        opts.log.warn(
          { instance_id: instanceId, cloud_instance_id: t.cloud_instance_id, state: observed },
          'instance reclaimed by AWS',
        );
      await opts.report({
        kind: 'instance-terminated',
        body: {
          instance_id: instanceId,
          cloud_instance_id: t.cloud_instance_id,
          state: 'terminated',
          source: external ? 'external' : 'agent',
          confirmed_at: new Date().toISOString(),
        },
      });
      opts.journal.untrack(instanceId);
      changed = true;
    }
    if (changed) await opts.saveJournal();
  };
}

/**
 * One DescribeInstances for all ids; EC2 fails the whole call when one id is unknown, so
 * on NotFound it asks one by one and treats the unknown ones as gone. Returned map has an
 * entry (possibly undefined) only for ids EC2 was asked about successfully.
 */
async function describeTolerant(ec2: Ec2Port, ids: string[]): Promise<Map<string, InstanceView | undefined>> {
  const out = new Map<string, InstanceView | undefined>();
  try {
    const views = await ec2.describeInstances(ids);
    for (const id of ids)
      out.set(
        id,
        views.find((v) => v.instanceId === id),
      );
    return out;
  } catch (err) {
    if (!isNotFound(err) || ids.length === 1) {
      if (isNotFound(err)) out.set(ids[0]!, undefined);
      else throw err;
      return out;
    }
  }
  for (const id of ids) {
    try {
      out.set(id, (await ec2.describeInstances([id]))[0]);
    } catch (err) {
      if (isNotFound(err)) out.set(id, undefined);
      else throw err;
    }
  }
  return out;
}
