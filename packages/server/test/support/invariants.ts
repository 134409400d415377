import type { InstanceStatus } from '@spot/contract';
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.ts';
import { streamTypeFor, TRANSITIONS } from '../../src/domain/state-machine.ts';

/**
 * Checks DESIGN §3 invariants 1–7 against what the database holds for one tenant, from the
 * rows alone (not from what the API answered). Returns the violations found, as sentences,
 * so a failing property run says exactly what broke. `xmin` is the id of the transaction
 * that wrote a row: equal xmins prove two rows were written in one transaction (invariant 5).
 */
export async function findViolations(db: Db, clientId: string): Promise<string[]> {
  const k = db.kysely;
  const bad: string[] = [];
  const instances = (
    await sql<InstanceDbRow>`SELECT id, agent_id, status, role, version, cloud_instance_id,
        launch_requested_at, launch_confirmed_at, launch_duration_seconds,
        termination_requested_at, termination_confirmed_at, termination_duration_seconds,
        xmin::text AS xid
      FROM instances WHERE client_id = ${clientId}`.execute(k)
  ).rows;
  const lifecycle = (
    await sql<LifecycleDbRow>`SELECT id, instance_id, event_type, from_status, to_status, source,
        cloud_instance_id, xmin::text AS xid
      FROM lifecycle_events WHERE client_id = ${clientId} ORDER BY id`.execute(k)
  ).rows;
  const outbox = (
    await sql<OutboxDbRow>`SELECT seq, type, data, xmin::text AS xid
      FROM events WHERE client_id = ${clientId} AND data ? 'instance_id' AND type LIKE 'INSTANCE_%'
      ORDER BY seq`.execute(k)
  ).rows;
  const ids = instances.map((i) => i.id);
  const audit = ids.length
    ? (
        await sql<AuditDbRow>`SELECT id, entity_id, action, before, after, xmin::text AS xid
          FROM audit_log WHERE entity_type = 'instance' AND entity_id IN (${sql.join(ids)}) ORDER BY id`.execute(
          k,
        )
      ).rows
    : [];

  // Invariant 4: at most one live PRIMARY per agent.
  const primaries = new Map<string, number>();
  for (const i of instances) {
    if (i.role === 'PRIMARY' && i.status !== 'TERMINATED' && i.status !== 'FAILED') {
      primaries.set(i.agent_id, (primaries.get(i.agent_id) ?? 0) + 1);
    }
  }
  for (const [agent, n] of primaries) if (n > 1) bad.push(`agent ${agent} has ${n} live PRIMARY instances`);

  for (const inst of instances) {
    const tag = `instance ${inst.id.slice(0, 8)}`;
    const events = lifecycle.filter((e) => e.instance_id === inst.id);
    const changes = events.filter((e) => e.from_status !== e.to_status);
    // Invariant 1: the life starts with LAUNCH_REQUESTED into LAUNCHING, then every
    // status change is a row of the transition table, chained from the previous one.
    const first = changes[0];
    if (
      first?.event_type !== 'LAUNCH_REQUESTED' ||
      first.from_status !== null ||
      first.to_status !== 'LAUNCHING'
    ) {
      bad.push(`${tag}: first change is not LAUNCH_REQUESTED (none)→LAUNCHING`);
    }
    let status: string | null = null;
    for (const e of events) {
      if (e.from_status === e.to_status) {
        // A recorded non-change (duplicate / late confirmation, repeated request) must
        // describe the state the instance was in when it arrived.
        if (e.from_status !== status)
          bad.push(`${tag}: ${e.event_type} recorded at ${e.from_status}, instance was ${status}`);
        continue;
      }
      if (e.from_status !== status)
        bad.push(`${tag}: ${e.event_type} from ${e.from_status}, instance was ${status}`);
      if (!isTableTransition(e.from_status as InstanceStatus | null, e.to_status as InstanceStatus)) {
        bad.push(`${tag}: ${e.from_status}→${e.to_status} is not in the transition table`);
      }
      if (status === 'TERMINATED') bad.push(`${tag}: moved on from TERMINATED to ${e.to_status}`);
      if (e.to_status === 'RUNNING' && e.from_status === 'LAUNCHING' && e.event_type !== 'LAUNCH_CONFIRMED') {
        bad.push(`${tag}: LAUNCHING→RUNNING by ${e.event_type}`);
      }
      // Invariant 2: TERMINATED only by an explicit confirmation.
      if (e.to_status === 'TERMINATED' && e.event_type !== 'TERMINATE_CONFIRMED') {
        bad.push(`${tag}: TERMINATED by ${e.event_type}`);
      }
      status = e.to_status;
    }
    if (status !== inst.status) bad.push(`${tag}: row says ${inst.status}, event log ends at ${status}`);
    // Invariant 3: first confirmation wins — one LAUNCH_CONFIRMED, one TERMINATE_CONFIRMED
    // at most, and the cloud id is the winner's.
    const launched = changes.filter((e) => e.event_type === 'LAUNCH_CONFIRMED');
    const terminated = changes.filter((e) => e.event_type === 'TERMINATE_CONFIRMED');
    if (launched.length > 1) bad.push(`${tag}: ${launched.length} LAUNCH_CONFIRMED changes`);
    if (terminated.length > 1) bad.push(`${tag}: ${terminated.length} TERMINATE_CONFIRMED changes`);
    if (launched[0] && launched[0].cloud_instance_id !== inst.cloud_instance_id) {
      bad.push(
        `${tag}: cloud id ${inst.cloud_instance_id} is not the first confirmation's ${launched[0].cloud_instance_id}`,
      );
    }
    if (Boolean(inst.launch_confirmed_at) !== (launched.length === 1)) {
      bad.push(
        `${tag}: launch_confirmed_at ${inst.launch_confirmed_at} with ${launched.length} confirmations`,
      );
    }
    if (Boolean(inst.termination_confirmed_at) !== (inst.status === 'TERMINATED')) {
      bad.push(`${tag}: termination_confirmed_at ${inst.termination_confirmed_at} while ${inst.status}`);
    }

    // Invariant 5: each change has its outbox event and audit entry, written by the same
    // transaction as the lifecycle event (same xmin), in the same order.
    const stream = outbox.filter((o) => o.data.instance_id === inst.id && o.type !== 'INSTANCE_UPDATED');
    // Role-only changes (a primary demoted to ZOMBIE by a switch) keep the status: they are
    // checked on their own below, not paired with status changes.
    const audits = audit.filter((a) => a.entity_id === inst.id && a.action !== 'demote');
    const demotions = events.filter((e) => e.event_type === 'DEMOTED');
    const demoteAudits = audit.filter((a) => a.entity_id === inst.id && a.action === 'demote');
    if (demotions.length !== demoteAudits.length || demotions.length > 1)
      bad.push(`${tag}: ${demotions.length} DEMOTED events, ${demoteAudits.length} demote audits`);
    demotions.forEach((d, n) => {
      if (demoteAudits[n]?.xid !== d.xid) bad.push(`${tag}: DEMOTED and its audit in different transactions`);
      const updated = outbox.some(
        (o) => o.xid === d.xid && o.type === 'INSTANCE_UPDATED' && o.data.instance_id === inst.id,
      );
      if (!updated) bad.push(`${tag}: DEMOTED without its INSTANCE_UPDATED event`);
    });
    if (stream.length !== changes.length)
      bad.push(`${tag}: ${changes.length} changes but ${stream.length} outbox events`);
    if (audits.length !== changes.length)
      bad.push(`${tag}: ${changes.length} changes but ${audits.length} audit entries`);
    changes.forEach((c, n) => {
      const o = stream[n];
      const a = audits[n];
      if (
        o &&
        (o.xid !== c.xid ||
          o.type !== streamTypeFor(c.to_status as InstanceStatus) ||
          o.data.status !== c.to_status)
      ) {
        bad.push(
          `${tag}: change ${n} ${c.event_type} (xid ${c.xid}) vs outbox ${o.type}/${o.data.status} (xid ${o.xid})`,
        );
      }
      if (a && (a.xid !== c.xid || (a.after as { status?: string } | null)?.status !== c.to_status)) {
        bad.push(`${tag}: change ${n} ${c.event_type} (xid ${c.xid}) vs audit ${a.action} (xid ${a.xid})`);
      }
    });
    // Invariant 6: every write of the row bumped the version by one, and the last write is
    // the one the row shows — a lost update would leave a gap or a repeat here.
    const versions = outbox.filter((o) => o.data.instance_id === inst.id).map((o) => Number(o.data.version));
    const expected = versions.map((_, n) => n + 1);
    if (versions.join() !== expected.join()) bad.push(`${tag}: versions in event order ${versions.join()}`);
    if (versions.at(-1) !== inst.version)
      bad.push(`${tag}: row version ${inst.version}, last event ${versions.at(-1)}`);
    for (const a of audits) {
      const before = (a.before as { version?: number } | null)?.version;
      const after = (a.after as { version?: number } | null)?.version;
      if (before !== undefined && after !== before + 1) bad.push(`${tag}: audit version ${before}→${after}`);
    }
    // Invariant 7: durations are the timestamps' difference.
    checkDuration(
      bad,
      tag,
      'launch',
      inst.launch_requested_at,
      inst.launch_confirmed_at,
      inst.launch_duration_seconds,
    );
    checkDuration(
      bad,
      tag,
      'termination',
      inst.termination_requested_at,
      inst.termination_confirmed_at,
      inst.termination_duration_seconds,
    );
  }
  return bad;
}

export function isTableTransition(from: InstanceStatus | null, to: InstanceStatus): boolean {
  return TRANSITIONS.some((t) => t.to === to && t.from.includes(from));
}

function checkDuration(
  bad: string[],
  tag: string,
  what: string,
  start: Date | null,
  end: Date | null,
  seconds: number | null,
): void {
  if (!start || !end) {
    if (seconds !== null) bad.push(`${tag}: ${what} duration ${seconds} without both timestamps`);
    return;
  }
  const want = (new Date(end).getTime() - new Date(start).getTime()) / 1000;
  if (seconds === null || Math.abs(Number(seconds) - want) > 0.0005) {
    bad.push(`${tag}: ${what} duration ${seconds}, timestamps say ${want}`);
  }
}

interface InstanceDbRow {
  id: string;
  agent_id: string;
  status: string;
  role: string;
  version: number;
  cloud_instance_id: string | null;
  launch_requested_at: Date | null;
  launch_confirmed_at: Date | null;
  launch_duration_seconds: number | null;
  termination_requested_at: Date | null;
  termination_confirmed_at: Date | null;
  termination_duration_seconds: number | null;
  xid: string;
}
interface LifecycleDbRow {
  id: number;
  instance_id: string;
  event_type: string;
  from_status: string | null;
  to_status: string | null;
  source: string;
  cloud_instance_id: string | null;
  xid: string;
}
interface OutboxDbRow {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  xid: string;
}
interface AuditDbRow {
  id: number;
  entity_id: string;
  action: string;
  before: unknown;
  after: unknown;
  xid: string;
}
