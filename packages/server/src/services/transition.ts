import type { InstanceRole, InstanceStatus } from '@spot/contract';
import type { Tx } from '../db/executor.ts';
import { DomainError } from '../domain/errors.ts';
import { type Action, type Decision, decide } from '../domain/state-machine.ts';
import { writeAudit } from '../repositories/audit.ts';
import { appendEvent } from '../repositories/events-outbox.ts';
import type { InstanceRow } from '../repositories/instances.ts';
import { updateInstance } from '../repositories/instances.ts';
import { insertLifecycleEvent } from '../repositories/lifecycle-events.ts';
import { toInstanceJson } from '../views/instance.ts';

export interface TransitionOutcome {
  decision: Exclude<Decision, { kind: 'reject' }>;
  row: InstanceRow;
}

/**
 * The only way an instance changes status. Inside the caller's transaction, with the row
 * already locked: ask the pure state machine, then write the new row, its lifecycle event,
 * its real-time event and the audit entry together (invariant 5). Duplicates and late
 * confirmations are recorded but change nothing.
 */
export async function applyTransition(
  tx: Tx,
  locked: InstanceRow,
  action: Action,
  actor: string,
  extraEventData: Record<string, unknown> = {},
): Promise<TransitionOutcome> {
  const decision = decide(
    {
      status: locked.status as InstanceStatus,
      role: locked.role as InstanceRole,
      cloud_instance_id: locked.cloud_instance_id,
      launch_confirmed_at: locked.launch_confirmed_at,
      termination_confirmed_at: locked.termination_confirmed_at,
    },
    action,
  );
  if (decision.kind === 'reject') throw decision.error;

  if (decision.kind !== 'apply') {
    await insertLifecycleEvent(tx, {
      ...decision.lifecycle,
      instance_id: locked.id,
      client_id: locked.client_id,
      from_status: locked.status,
      to_status: locked.status,
      at: action.at,
    });
    return { decision, row: locked };
  }

  const updated = await updateInstance(tx, locked.id, locked.version, decision.patch, action.at);
  if (!updated) {
    throw new DomainError('VERSION_CONFLICT', `instance ${locked.id} changed concurrently`, {
      expected_version: locked.version,
    });
  }
  await insertLifecycleEvent(tx, {
    ...decision.lifecycle,
    instance_id: locked.id,
    client_id: locked.client_id,
    from_status: locked.status,
    to_status: updated.status,
    at: action.at,
  });
  const json = toInstanceJson(updated);
  await appendEvent(tx, locked.client_id, decision.stream, { ...json, ...extraEventData });
  await writeAudit(tx, {
    actor,
    action: action.type,
    entity_type: 'instance',
    entity_id: locked.id,
    before: { status: locked.status, role: locked.role, version: locked.version },
    after: { status: updated.status, role: updated.role, version: updated.version },
  });
  return { decision, row: updated };
}
