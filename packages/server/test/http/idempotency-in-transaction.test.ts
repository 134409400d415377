import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmedRun } from '../support/savings-fleet.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A launch or terminate with an Idempotency-Key writes "done, this was the answer" in the
// transaction of the change itself. Were it written after (when the answer is sent), a process
// that died in between would leave a claim that a retry takes over after 30 s and runs again:
// a second instance launched for one click.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

/** The transaction that wrote a row's current version (PostgreSQL's xmin). */
async function writerOf(
  table: 'idempotency_keys' | 'instances' | 'switches',
  column: 'key' | 'id',
  value: string,
) {
  const r = await sql<{
    x: string;
  }>`SELECT xmin::text AS x FROM ${sql.table(table)} WHERE ${sql.ref(column)} = ${value}`.execute(
    t.db.kysely,
  );
  return r.rows[0]!.x;
}

describe('idempotent answers in the transaction they guard', () => {
  it('a launch and its answer commit together, and a retry replays the answer instead of launching again', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const send = () =>
      t.request('POST', '/api/client/instances/launch', {
        token: tenant.token,
        body: {
          agent_id: agent.agent_id,
          instance_type: 't3.medium',
          availability_zone: 'us-east-1a',
          role: 'REPLICA',
        },
        headers: { 'idempotency-key': `launch-in-tx-${agent.agent_id}` },
      });
    const first = await send();
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const key = `launch-in-tx-${agent.agent_id}`;
    expect(await writerOf('idempotency_keys', 'key', key)).toBe(
      await writerOf('instances', 'id', first.body.instance_id),
    );
    const again = await send();
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const launched = await t.db.kysely
      .selectFrom('instances')
      .select('id')
      .where('agent_id', '=', agent.agent_id)
      .execute();
    expect(launched.map((r) => r.id)).toEqual([first.body.instance_id]);
  });

  it('a terminate and its answer commit together', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const instance_id = await confirmedRun(t, tenant, agent, { az: 'us-east-1a', from: new Date() });
    const key = `terminate-in-tx-${instance_id}`;
    const res = await t.request('POST', `/api/client/instances/${instance_id}/terminate`, {
      token: tenant.token,
      body: { reason: 'test' },
      headers: { 'idempotency-key': key },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await writerOf('idempotency_keys', 'key', key)).toBe(
      await writerOf('instances', 'id', instance_id),
    );
    const row = await t.db.kysely
      .selectFrom('idempotency_keys')
      .select(['state', 'status_code'])
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'done', status_code: 202 });
  });

  it('a replica, a switch and a promotion commit together with their answers', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    await confirmedRun(t, tenant, agent, { az: 'us-east-1a', from: new Date() });
    const post = (path: string, body: object, key: string) =>
      t.request('POST', path, { token: tenant.token, body, headers: { 'idempotency-key': key } });
    const sameWriter = async (key: string, table: 'instances' | 'switches', id: string) =>
      expect(await writerOf('idempotency_keys', 'key', key)).toBe(await writerOf(table, 'id', id));

    const replicaKey = `replica-in-tx-${agent.agent_id}`;
    const replica = await post(
      `/api/client/agents/${agent.agent_id}/replicas`,
      { instance_type: 't3.medium', availability_zone: 'us-east-1b' },
      replicaKey,
    );
    expect(replica.status, JSON.stringify(replica.body)).toBe(202);
    await sameWriter(replicaKey, 'instances', replica.body.instance_id);
    // The replica's agent confirms it, so it can be promoted.
    const confirmed = await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id: replica.body.instance_id, cloud_instance_id: 'i-0abc9f1e', state: 'running' },
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);

    const promoteKey = `promote-in-tx-${agent.agent_id}`;
    const promoted = await post(
      `/api/client/instances/${replica.body.instance_id}/promote`,
      { reason: 'test' },
      promoteKey,
    );
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(202);
    await sameWriter(promoteKey, 'switches', promoted.body.switch_id);
    const replay = await post(
      `/api/client/instances/${replica.body.instance_id}/promote`,
      { reason: 'test' },
      promoteKey,
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(promoted.body);

    // Another workload, for a switch (the first one is switching now).
    const other = await tenant.registerAgent();
    await confirmedRun(t, tenant, other, { az: 'us-east-1a', from: new Date() });
    const switchKey = `switch-in-tx-${other.agent_id}`;
    const switched = await post(
      `/api/client/agents/${other.agent_id}/switch`,
      { instance_type: 't3.large', availability_zone: 'us-east-1c' },
      switchKey,
    );
    expect(switched.status, JSON.stringify(switched.body)).toBe(202);
    await sameWriter(switchKey, 'switches', switched.body.switch_id);
  });

  it('a launch that fails records nothing: the key is free for a corrected retry', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const key = `launch-fails-${agent.agent_id}`;
    const bad = await t.request('POST', '/api/client/instances/launch', {
      token: tenant.token,
      body: { agent_id: '00000000-0000-4000-8000-000000000000', instance_type: 't3.medium' },
      headers: { 'idempotency-key': key },
    });
    expect(bad.status).toBe(404);
    const rows = await t.db.kysely
      .selectFrom('idempotency_keys')
      .select('state')
      .where('key', '=', key)
      .execute();
    expect(rows).toEqual([]);
  });
});
