import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * The server's clock (ServiceContext.now). Each call is one distinct millisecond, so a
 * timestamp the server stored names the call that produced it. `claims` counts calls while
 * a test watches: nothing but the pending-commands claim asks this clock then.
 */
let clockAt = Date.now();
let watching = false;
let claims: number[] = [];
const serverNow = () => {
  clockAt += 1;
  if (watching) claims.push(clockAt);
  return new Date(clockAt);
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ listen: true, now: serverNow });
});
afterAll(async () => {
  await t?.close();
});

const poll = (agentId: string, token: string, wait: number, signal?: AbortSignal) =>
  fetch(`${t.url}/api/agents/${agentId}/pending-commands?wait=${wait}`, {
    headers: { authorization: `Bearer ${token}` },
    ...(signal ? { signal } : {}),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe('pending-commands long-poll', () => {
  it('returns as soon as a command is queued, not at the end of the wait', async () => {
    // The overlap under test: the poll has claimed (nothing) and is parked when the command
    // is queued. Wait for its first claim instead of sleeping, then check from the delivery
    // time that a later claim, made after the queueing began, delivered it.
    const tenant = await t.newTenant();
    let overlapped = false;
    for (let attempt = 0; attempt < 5 && !overlapped; attempt++) {
      const agent = await tenant.registerAgent();
      claims = [];
      watching = true;
      const started = Date.now();
      const pending = poll(agent.agent_id, agent.agent_token, 20);
      const deadline = Date.now() + 30_000;
      while (claims.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      watching = false;
      const firstClaim = claims[0];
      expect(firstClaim, 'the poll never reached the server').toBeDefined();
      const queuedAfter = clockAt;
      const launched = await tenant.launch(agent.agent_id);
      const res = await pending;
      const elapsed = Date.now() - started;
      expect(res.status).toBe(200);
      expect(res.body.commands.map((c: { id: string }) => c.id)).toEqual([launched.command_id]);
      // Far below the 20 s wait: it was woken by the queueing, not by the timeout.
      expect(elapsed).toBeLessThan(15_000);
      const row = await t.db.kysely
        .selectFrom('commands')
        .select(['delivered_at', 'delivery_count'])
        .where('id', '=', launched.command_id)
        .executeTakeFirstOrThrow();
      expect(row.delivery_count).toBe(1);
      // Delivered by the first claim: the queueing won the race (possible on PostgreSQL's pool),
      // so nothing was parked. Try again with a fresh agent.
      overlapped = new Date(row.delivered_at!).getTime() > queuedAfter;
    }
    expect(overlapped, 'no attempt had the poll parked before the command was queued').toBe(true);
  });

  it('answers an empty list after the wait when nothing is queued', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const started = Date.now();
    const res = await poll(agent.agent_id, agent.agent_token, 0.3);
    expect(res.body.commands).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('delivers highest priority first and never the same command twice', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id, command_id: launchCmd } = await tenant.launch(agent.agent_id);
    // Give the queue a lower-priority command next to the critical one.
    await t.db.kysely
      .insertInto('commands')
      .values({
        id: crypto.randomUUID(),
        client_id: tenant.clientId,
        agent_id: agent.agent_id,
        instance_id,
        command_type: 'PROMOTE_REPLICA',
        priority: 25,
        request_id: 'low-1',
        metadata: '{}',
        expires_at: new Date(Date.now() + 60_000),
      })
      .execute();
    const [a, b] = await Promise.all([
      poll(agent.agent_id, agent.agent_token, 0),
      poll(agent.agent_id, agent.agent_token, 0),
    ]);
    const all = [...a.body.commands, ...b.body.commands];
    expect(all).toHaveLength(2);
    expect(new Set(all.map((c: { id: string }) => c.id)).size).toBe(2);
    const both = await poll(agent.agent_id, agent.agent_token, 0);
    expect(both.body.commands).toEqual([]);
    const merged = [...a.body.commands, ...b.body.commands].sort((x: any, y: any) => y.priority - x.priority);
    expect(merged[0].id).toBe(launchCmd);
  });

  it('orders a single batch by priority', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id, command_id } = await tenant.launch(agent.agent_id);
    await t.db.kysely
      .insertInto('commands')
      .values({
        id: crypto.randomUUID(),
        client_id: tenant.clientId,
        agent_id: agent.agent_id,
        instance_id,
        command_type: 'PROMOTE_REPLICA',
        priority: 10,
        request_id: 'maint-1',
        metadata: '{}',
        expires_at: new Date(Date.now() + 60_000),
        created_at: new Date(Date.now() - 60_000),
      })
      .execute();
    const res = await poll(agent.agent_id, agent.agent_token, 0);
    expect(res.body.commands.map((c: any) => c.priority)).toEqual([100, 10]);
    expect(res.body.commands[0].id).toBe(command_id);
  });

  it('re-delivers a command whose result never came, after the lease (on the server clock)', async () => {
    let now = Date.now();
    const s = await startTestServer({ env: { COMMAND_LEASE_SECONDS: '60' }, now: () => new Date(now) });
    try {
      const tenant = await s.newTenant();
      const agent = await tenant.registerAgent();
      const { command_id } = await tenant.launch(agent.agent_id);
      const get = () =>
        s.request('GET', `/api/agents/${agent.agent_id}/pending-commands`, { token: agent.agent_token });
      const delivery = () =>
        s.db.kysely
          .selectFrom('commands')
          .select(['delivered_at', 'delivery_count'])
          .where('id', '=', command_id)
          .executeTakeFirstOrThrow();
      const deliveredAt = now;
      expect((await get()).body.commands[0].id).toBe(command_id);
      expect(await delivery()).toEqual({ delivered_at: new Date(deliveredAt), delivery_count: 1 });

      // Still inside the lease, to the millisecond: not handed out again.
      now = deliveredAt + 60_000;
      expect((await get()).body.commands).toEqual([]);
      expect((await delivery()).delivery_count).toBe(1);

      // The lease has run out: delivered again, and the new lease starts now.
      now = deliveredAt + 60_001;
      expect((await get()).body.commands.map((c: { id: string }) => c.id)).toEqual([command_id]);
      expect(await delivery()).toEqual({ delivered_at: new Date(now), delivery_count: 2 });
      expect((await get()).body.commands).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('rejects bad wait values with 400', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    for (const q of ['wait=-1', 'wait=abc', 'wait=61', 'limit=0']) {
      const r = await fetch(`${t.url}/api/agents/${agent.agent_id}/pending-commands?${q}`, {
        headers: { authorization: `Bearer ${agent.agent_token}` },
      });
      expect(r.status).toBe(400);
    }
  });
});
