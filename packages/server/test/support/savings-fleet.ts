import { expect } from 'vitest';
import { appendEvent } from '../../src/repositories/events-outbox.ts';
import { inTransaction } from '../../src/services/unit-of-work.ts';
import { toInstanceJson } from '../../src/views/instance.ts';
import type { Tenant, TestServer } from './server.ts';

const H = 3_600_000;
let seq = 0;

/** A confirmed run of `agent`, moved to the times given (launch took 90 s). */
export async function confirmedRun(
  t: TestServer,
  tenant: Tenant,
  agent: { agent_id: string; agent_token: string },
  opts: { az: string; region?: string; from: Date; role?: 'PRIMARY' | 'REPLICA' },
): Promise<string> {
  const { instance_id } = await tenant.launch(agent.agent_id, {
    availability_zone: opts.az,
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.role ? { role: opts.role } : {}),
  });
  const launched = await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
    token: agent.agent_token,
    body: {
      instance_id,
      cloud_instance_id: `i-0fa${(seq++).toString(16).padStart(4, '0')}`,
      state: 'running',
    },
  });
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  await t.db.kysely
    .updateTable('instances')
    .set({ launch_requested_at: new Date(opts.from.getTime() - 90_000), launch_confirmed_at: opts.from })
    .where('id', '=', instance_id)
    .execute();
  return instance_id;
}

/** A t3.medium spot price observed in `az` at `at`. */
export async function spotPrice(
  t: TestServer,
  tenant: Tenant,
  agentId: string,
  az: string,
  at: Date,
  spot: number,
): Promise<void> {
  await t.db.kysely
    .insertInto('price_snapshots')
    .values({
      client_id: tenant.clientId,
      agent_id: agentId,
      reporter_role: 'PRIMARY',
      region: az.slice(0, -1),
      availability_zone: az,
      instance_type: 't3.medium',
      product_description: 'Linux/UNIX',
      spot_price: spot,
      observed_at: at,
    })
    .execute();
}

/** A fixed clock 17 minutes past an hour, and `ago(h)` measured from it. */
export function fixedClock(): { now: Date; ago: (hours: number) => Date } {
  const now = new Date(Math.floor(Date.now() / H) * H + 17 * 60_000);
  return { now, ago: (hours) => new Date(now.getTime() - hours * H) };
}

/**
 * An instance's termination confirmed at `at` (late, in the past), written as the product
 * writes an instance: the row and its INSTANCE_UPDATED event in one transaction (held answers
 * learn of changes from the events).
 */
export async function terminationConfirmed(t: TestServer, instanceId: string, at: Date): Promise<void> {
  await inTransaction(t.server.ctx, async (tx) => {
    const row = await tx
      .updateTable('instances')
      .set({ termination_confirmed_at: at })
      .where('id', '=', instanceId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendEvent(tx, row.client_id, 'INSTANCE_UPDATED', toInstanceJson(row));
  });
}
