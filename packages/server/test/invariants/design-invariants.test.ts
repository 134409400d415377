import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushAppended, type StoredEvent } from '../../src/repositories/events-outbox.ts';
import { lockInstance, updateInstance } from '../../src/repositories/instances.ts';
import { applyTransition } from '../../src/services/transition.ts';
import { findViolations } from '../support/invariants.ts';
import { lifecycleCalls } from '../support/lifecycle-calls.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * DESIGN §3 invariants 1–7, one test each, through the real HTTP API on the real database
 * (PGlite, or PostgreSQL with TEST_DB=postgres). Each test ends by checking the whole
 * tenant with findViolations, which reads the database rows, not the API answers.
 */
let t: TestServer;
/** Invariant 7 stops the server's clock to know the exact durations; null = real time. */
let frozenClock: number | null = null;
beforeAll(async () => {
  t = await startTestServer({ now: () => new Date(frozenClock ?? Date.now()) });
});
afterAll(async () => {
  await t?.close();
});

async function setup() {
  const tenant = await t.newTenant();
  const agent = await tenant.registerAgent();
  return { tenant, agent, api: lifecycleCalls(t, tenant.token, agent) };
}

const transitionsOf = async (api: ReturnType<typeof lifecycleCalls>, id: string) =>
  (await api.history(id)).body.events
    .filter((e: any) => e.from_status !== e.to_status)
    .map((e: any) => `${e.from_status ?? '-'}>${e.to_status}`);

async function expectClean(clientId: string) {
  expect(await findViolations(t.db, clientId)).toEqual([]);
}

describe('invariant 1: LAUNCHING before RUNNING, TERMINATING before TERMINATED, nothing skipped', () => {
  it('walks launch → RUNNING → terminate → TERMINATED through both transitional states', async () => {
    const { tenant, api } = await setup();
    const launch = await api.launch();
    expect(launch.status).toBe(202);
    const id = launch.body.instance_id;
    expect((await api.get(id)).body).toMatchObject({ status: 'LAUNCHING', version: 1 });

    // Skipping LAUNCHING's confirmation is refused: no terminate request straight away.
    const skip = await api.terminate(id);
    expect(skip.status).toBe(409);
    expect(skip.body.error.code).toBe('INVALID_TRANSITION');

    expect((await api.launched(id, 'i-0a01')).body.status).toBe('RUNNING');
    const term = await api.terminate(id);
    expect(term.body.status).toBe('TERMINATING');
    // The agent reporting that TerminateInstances ran is not AWS's confirmation.
    const res = await api.result(term.body.command_id, { success: true });
    expect(res.status).toBe(200);
    expect((await api.get(id)).body.status).toBe('TERMINATING');
    expect((await api.terminated(id, { cloudId: 'i-0a01' })).body.status).toBe('TERMINATED');

    expect(await transitionsOf(api, id)).toEqual([
      '->LAUNCHING',
      'LAUNCHING>RUNNING',
      'RUNNING>TERMINATING',
      'TERMINATING>TERMINATED',
    ]);
    await expectClean(tenant.clientId);
  });
});

describe('invariant 2: TERMINATED only on explicit confirmation, and final', () => {
  it('stays TERMINATING until confirmed, then nothing moves it', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    await api.launched(id, 'i-0a02');
    const term = await api.terminate(id, 'scale down');
    expect(term.status).toBe(202);
    // A second terminate request is idempotent: no second command, still TERMINATING.
    const again = await api.terminate(id);
    expect(again.status).toBe(202);
    expect(again.body.command_id).toBeNull();
    expect((await api.get(id)).body.status).toBe('TERMINATING');

    const confirmed = await api.terminated(id, { cloudId: 'i-0a02' });
    expect(confirmed.body).toMatchObject({ status: 'TERMINATED', outcome: 'applied' });
    const final = (await api.get(id)).body;

    // Everything that comes later is answered without moving it.
    expect((await api.terminate(id)).status).toBe(409);
    expect((await api.launched(id, 'i-0a02')).body).toMatchObject({ status: 'TERMINATED', outcome: 'late' });
    expect((await api.terminated(id)).body).toMatchObject({ status: 'TERMINATED', outcome: 'duplicate' });
    expect((await api.terminated(id, { source: 'external' })).body.outcome).toBe('duplicate');
    expect((await api.result(term.body.command_id, { success: false })).body.status).toBe('failed');
    const after = (await api.get(id)).body;
    expect(after).toEqual(final);
    const history = (await api.history(id)).body.events;
    const confirmation = history.filter(
      (e: any) => e.to_status === 'TERMINATED' && e.from_status !== 'TERMINATED',
    );
    expect(confirmation).toHaveLength(1);
    expect(confirmation[0]).toMatchObject({
      event_type: 'TERMINATE_CONFIRMED',
      confirmation_method: 'agent_aws_poll',
    });
    await expectClean(tenant.clientId);
  });

  it('records AWS taking a RUNNING instance (no request) as an external confirmation', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    await api.launched(id, 'i-0a2b');
    const gone = await api.terminated(id, { source: 'external' });
    expect(gone.body).toMatchObject({ status: 'TERMINATED', outcome: 'applied' });
    const last = (await api.history(id)).body.events.at(-1);
    expect(last).toMatchObject({
      event_type: 'TERMINATE_CONFIRMED',
      source: 'external',
      reason: 'spot_interruption',
    });
    await expectClean(tenant.clientId);
  });
});

describe('invariant 3: first confirmation wins; repeats and late ones recorded, answered 2xx, never backwards', () => {
  it('applies exactly one of many concurrent, conflicting launch confirmations', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    const cloudIds = ['i-0a', 'i-0b', 'i-0c', 'i-0a', 'i-0dd', 'i-0b'];
    const answers = await Promise.all(cloudIds.map((c) => api.launched(id, c)));
    for (const a of answers) expect(a.status).toBe(200);
    const applied = answers.filter((a) => a.body.outcome === 'applied');
    expect(applied).toHaveLength(1);
    const winner = cloudIds[answers.indexOf(applied[0]!)];
    const inst = (await api.get(id)).body;
    expect(inst).toMatchObject({ status: 'RUNNING', cloud_instance_id: winner, version: 2 });
    const types = (await api.history(id)).body.events.map((e: any) => e.event_type);
    expect(types.filter((x: string) => x === 'LAUNCH_CONFIRMED')).toHaveLength(1);
    // Every other confirmation is on record as a duplicate or a late one.
    expect(types.filter((x: string) => x.startsWith('CONFIRMATION_'))).toHaveLength(cloudIds.length - 1);

    await api.terminate(id);
    const ends = await Promise.all([1, 2, 3, 4].map(() => api.terminated(id)));
    expect(ends.map((e) => e.body.outcome).sort()).toEqual([
      'applied',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    const late = await api.launched(id, winner!);
    expect(late.body).toMatchObject({ status: 'TERMINATED', outcome: 'late' });
    await expectClean(tenant.clientId);
  });
});

describe('invariant 4: at most one PRIMARY per agent, enforced by the database', () => {
  it('refuses a second live PRIMARY written straight into the table', async () => {
    const { tenant, agent, api } = await setup();
    const primary = (await api.launch()).body.instance_id;
    const replica = (await api.launch({ role: 'REPLICA' })).body.instance_id;
    const k = t.db.kysely;
    const row = (id: string) =>
      k.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const base = await row(primary);

    const insert = (id: string, status: string) =>
      sql`INSERT INTO instances (id, client_id, agent_id, status, role, instance_type)
          VALUES (${id}, ${tenant.clientId}, ${agent.agent_id}, ${status}, 'PRIMARY', 't3.small')`.execute(k);
    await expect(insert('00000000-0000-4000-8000-000000000001', 'RUNNING')).rejects.toMatchObject({
      code: '23505',
    });
    await expect(insert('00000000-0000-4000-8000-000000000002', 'LAUNCHING')).rejects.toMatchObject({
      code: '23505',
    });
    // Promoting the replica behind the code's back is refused too.
    await expect(
      sql`UPDATE instances SET role = 'PRIMARY' WHERE id = ${replica}`.execute(k),
    ).rejects.toMatchObject({
      code: '23505',
    });
    // A FAILED or TERMINATED former primary is history, not a live primary: allowed.
    await insert('00000000-0000-4000-8000-000000000003', 'TERMINATED');
    await sql`DELETE FROM instances WHERE id = '00000000-0000-4000-8000-000000000003'`.execute(k);
    expect(await row(primary)).toEqual(base);

    // And through the API: an explicit second PRIMARY is a 409, concurrent ones let one through.
    const second = await api.launch({ role: 'PRIMARY' });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('CONFLICT');
    const other = await tenant.registerAgent();
    const otherApi = lifecycleCalls(t, tenant.token, other);
    const burst = await Promise.all([1, 2, 3, 4].map(() => otherApi.launch({ role: 'PRIMARY' })));
    expect(burst.map((r) => r.status).sort()).toEqual([202, 409, 409, 409]);
    await expectClean(tenant.clientId);
  });

  it('cleans up a FAILED primary after a new primary took over, without a second PRIMARY', async () => {
    // Found by test/property on PostgreSQL: terminating the FAILED old primary made it a
    // live PRIMARY again, the index refused that, and the request answered 500.
    const { tenant, api } = await setup();
    const { instance_id: old } = (await api.launch()).body;
    await api.launched(old, 'i-0b01');
    const term = await api.terminate(old);
    await api.result(term.body.command_id, {
      success: false,
      result: { error_code: 'UnauthorizedOperation' },
    });
    expect((await api.get(old)).body).toMatchObject({ status: 'FAILED', role: 'PRIMARY' });
    const next = await api.launch({ role: 'PRIMARY' });
    expect(next.status).toBe(202);
    const cleanup = await api.terminate(old);
    expect(cleanup.status).toBe(202);
    expect((await api.get(old)).body).toMatchObject({ status: 'TERMINATING', role: 'ZOMBIE' });
    expect((await api.get(next.body.instance_id)).body).toMatchObject({
      status: 'LAUNCHING',
      role: 'PRIMARY',
    });
    await expectClean(tenant.clientId);
  });
});

describe('invariant 5: a transition, its lifecycle event and its outbox event share one transaction', () => {
  it('writes state, lifecycle event, outbox event and audit entry in the same transaction', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    await api.launched(id, 'i-0a05');
    await api.terminate(id);
    // xmin is the id of the transaction that wrote a row: the instance row's current
    // version, its last lifecycle event and its last outbox event come from one.
    const xid = async (q: string) => (await sql.raw<{ x: string }>(q).execute(t.db.kysely)).rows[0]!.x;
    const row = await xid(`SELECT xmin::text AS x FROM instances WHERE id = '${id}'`);
    const event = await xid(
      `SELECT xmin::text AS x FROM lifecycle_events WHERE instance_id = '${id}' ORDER BY id DESC LIMIT 1`,
    );
    const outbox = await xid(
      `SELECT xmin::text AS x FROM events WHERE data->>'instance_id' = '${id}' ORDER BY seq DESC LIMIT 1`,
    );
    expect(event).toBe(row);
    expect(outbox).toBe(row);
    await expectClean(tenant.clientId); // the same, for every change of every instance
  });

  it('leaves none of them when the transaction fails after the state write', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    await api.launched(id, 'i-0a5b');
    const k = t.db.kysely;
    const count = async () => ({
      instance: await k.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      lifecycle: (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM lifecycle_events WHERE instance_id = ${id}`.execute(k)
      ).rows[0]!.n,
      outbox: (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM events WHERE client_id = ${tenant.clientId}`.execute(k)
      ).rows[0]!.n,
      audit: (
        await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE entity_id = ${id}`.execute(k)
      ).rows[0]!.n,
      commands: (
        await sql<{ n: number }>`SELECT count(*)::int AS n FROM commands WHERE instance_id = ${id}`.execute(k)
      ).rows[0]!.n,
    });
    const published: StoredEvent[] = [];
    const publish = t.server.ctx.publishCommitted;
    t.server.ctx.publishCommitted = (events) => {
      published.push(...events);
      publish?.(events);
    };
    // The fault: a trigger that fails the transaction at its last write (the audit entry,
    // written after the state, the lifecycle event and the outbox event), then at the outbox.
    await sql
      .raw(`
      CREATE OR REPLACE FUNCTION test_inject_fault() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER test_fault_audit BEFORE INSERT ON audit_log FOR EACH ROW
        WHEN (NEW.entity_id = '${id}') EXECUTE FUNCTION test_inject_fault();
    `)
      .execute(k);
    try {
      const before = await count();
      const failed = await api.terminate(id);
      expect(failed.status).toBe(500);
      expect(failed.body.error).toMatchObject({ code: 'INTERNAL' });
      expect(await count()).toEqual(before);

      await sql
        .raw(`
        DROP TRIGGER test_fault_audit ON audit_log;
        CREATE TRIGGER test_fault_outbox BEFORE INSERT ON events FOR EACH ROW
          WHEN (NEW.data->>'instance_id' = '${id}') EXECUTE FUNCTION test_inject_fault();
      `)
        .execute(k);
      const failed2 = await api.terminated(id, { source: 'external' });
      expect(failed2.status).toBe(500);
      expect(await count()).toEqual(before);
      expect(published.filter((e) => e.data.instance_id === id)).toEqual([]);
      await sql.raw('DROP TRIGGER test_fault_outbox ON events').execute(k);
      // Nothing half-written blocks the retry, and only the committed change is published.
      expect((await api.terminate(id)).status).toBe(202);
      expect(published.filter((e) => e.data.instance_id === id).map((e) => e.type)).toEqual([
        'INSTANCE_TERMINATING',
      ]);
    } finally {
      await sql
        .raw(
          'DROP TRIGGER IF EXISTS test_fault_audit ON audit_log; DROP TRIGGER IF EXISTS test_fault_outbox ON events',
        )
        .execute(k);
      t.server.ctx.publishCommitted = publish;
    }
    await expectClean(tenant.clientId);
  });
});

describe('invariant 6: concurrent writers lose no update', () => {
  it('serialises parallel terminate requests and confirmations on one instance', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id, command_id } = (await api.launch()).body;
    await api.launched(id, 'i-0a06');
    const answers = await Promise.all([
      api.terminate(id),
      api.terminated(id, { cloudId: 'i-0a06' }),
      api.terminate(id),
      api.launched(id, 'i-0a06'),
      api.result(command_id, { success: true, result: { cloud_instance_id: 'i-0a06' } }),
      api.terminate(id),
      api.terminated(id),
    ]);
    for (const a of answers) {
      expect(a.status).toBeLessThan(500);
      if (a.status >= 400) expect(a.body.error.code).toBe('INVALID_TRANSITION'); // after TERMINATED
    }
    const inst = (await api.get(id)).body;
    expect(inst.status).toBe('TERMINATED');
    const changes = (await api.history(id)).body.events.filter((e: any) => e.from_status !== e.to_status);
    // Every change is counted in the version: none overwrote another.
    expect(inst.version).toBe(changes.length);
    await expectClean(tenant.clientId);
  });

  it('refuses a write based on a stale version and keeps the newer one', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    await api.launched(id, 'i-0a6b');
    const k = t.db.kysely;
    const stale = await k.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect((await api.terminate(id)).status).toBe(202); // version 2 → 3 meanwhile
    // A writer that skipped the row lock and works from version 2 is refused loudly.
    await expect(
      k
        .transaction()
        .execute((tx) =>
          applyTransition(tx, stale, { type: 'mark_offline', at: new Date() }, 'test:stale-writer'),
        ),
    ).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    const direct = await k
      .transaction()
      .execute((tx) => updateInstance(tx, id, stale.version, { status: 'OFFLINE' }, new Date()));
    expect(direct).toBeUndefined();
    expect((await api.get(id)).body).toMatchObject({ status: 'TERMINATING', version: 3 });
    await expectClean(tenant.clientId);
  });

  it('lets a terminate and a launch on the same agent overlap without a deadlock', async () => {
    // Found by test/property on PostgreSQL: launch held its agent row FOR UPDATE and waited
    // for the outbox lock, while a terminate held the outbox lock and waited for the agent
    // row (its new command's foreign-key check). A trigger stretches the launch so the two
    // overlap every time; on PGlite (one connection) they simply run one after the other.
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    await api.launched(id, 'i-0a6d');
    const k = t.db.kysely;
    await sql
      .raw(`
      CREATE OR REPLACE FUNCTION test_slow_insert() RETURNS trigger AS $$
      BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER test_slow_launch BEFORE INSERT ON instances FOR EACH ROW
        WHEN (NEW.instance_type = 'c5.large') EXECUTE FUNCTION test_slow_insert();
    `)
      .execute(k);
    try {
      let launchSettled = false;
      const launch = api.launch({ instance_type: 'c5.large', role: 'REPLICA' }).finally(() => {
        launchSettled = true;
      });
      if (t.testDb.kind === 'postgres') {
        // Fire the terminate once the launch is inside its stretched insert (seen in
        // pg_stat_activity), not after a guessed delay, and check it still was.
        const deadline = Date.now() + 10_000;
        let sleeping = false;
        while (!sleeping && !launchSettled && Date.now() < deadline) {
          const r = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND query ILIKE '%insert into "instances"%'
              AND wait_event = 'PgSleep'`.execute(k);
          sleeping = r.rows[0]!.n > 0;
          if (!sleeping) await new Promise((r) => setTimeout(r, 10));
        }
        expect(sleeping && !launchSettled, 'the launch was not caught inside its insert').toBe(true);
      } else {
        await new Promise((r) => setTimeout(r, 150));
      }
      const [l, term] = await Promise.all([launch, api.terminate(id)]);
      expect(l.status).toBe(202);
      expect(term.status).toBe(202);
    } finally {
      await sql.raw('DROP TRIGGER IF EXISTS test_slow_launch ON instances').execute(k);
    }
    await expectClean(tenant.clientId);
  });

  it('makes a writer wait for the row lock and then build on the committed change', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    await api.launched(id, 'i-0a6c');
    let terminate: ReturnType<typeof api.terminate> | undefined;
    await t.db.kysely.transaction().execute(async (tx) => {
      const locked = (await lockInstance(tx, id))!;
      // Fired while we hold the lock: it must wait, then see OFFLINE, not RUNNING.
      terminate = api.terminate(id);
      await new Promise((r) => setTimeout(r, 50));
      await applyTransition(tx, locked, { type: 'mark_offline', at: new Date() }, 'test:lock-holder');
      // What inTransaction does at the end of every unit of work: the outbox is written last.
      await flushAppended(tx);
    });
    expect((await terminate!).status).toBe(202);
    expect(await transitionsOf(api, id)).toEqual([
      '->LAUNCHING',
      'LAUNCHING>RUNNING',
      'RUNNING>OFFLINE',
      'OFFLINE>TERMINATING',
    ]);
    expect((await api.get(id)).body.version).toBe(4);
    await expectClean(tenant.clientId);
  });
});

describe('invariant 7: durations are derived from the recorded timestamps', () => {
  it('computes launch and termination durations from the timestamps, in the database', async () => {
    const { tenant, api } = await setup();
    frozenClock = Date.now();
    const advance = (ms: number) => {
      frozenClock = frozenClock! + ms;
    };
    let id: string;
    try {
      id = (await api.launch()).body.instance_id;
      advance(42_250);
      await api.launched(id, 'i-0a07');
      advance(600_000);
      await api.terminate(id);
      advance(7_500);
      await api.terminated(id);
    } finally {
      frozenClock = null;
    }
    const inst = (await api.get(id)).body;
    expect(inst.launch_duration_seconds).toBe(42.25);
    expect(inst.termination_duration_seconds).toBe(7.5);
    const diff = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;
    expect(inst.launch_duration_seconds).toBe(diff(inst.launch_requested_at, inst.launch_confirmed_at));
    expect(inst.termination_duration_seconds).toBe(
      diff(inst.termination_requested_at, inst.termination_confirmed_at),
    );

    // Generated columns: nobody can write a duration, and moving a timestamp moves it.
    const k = t.db.kysely;
    await expect(
      sql`UPDATE instances SET launch_duration_seconds = 1 WHERE id = ${id}`.execute(k),
    ).rejects.toThrow(/can only be updated to DEFAULT/);
    const moved = await k
      .transaction()
      .execute(async (tx) => {
        await sql`UPDATE instances SET launch_confirmed_at = launch_requested_at + interval '90 seconds' WHERE id = ${id}`.execute(
          tx,
        );
        const r = await tx
          .selectFrom('instances')
          .select('launch_duration_seconds')
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        throw Object.assign(new Error('rollback'), { seen: r.launch_duration_seconds });
      })
      .catch((e: { seen?: number }) => e.seen);
    expect(moved).toBe(90);
    expect((await api.get(id)).body.launch_duration_seconds).toBe(42.25);
    await expectClean(tenant.clientId);
  });
});

describe('the invariant checker itself', () => {
  it('reports corrupted rows (so a clean report means something)', async () => {
    const { tenant, api } = await setup();
    const { instance_id: id } = (await api.launch()).body;
    await api.launched(id, 'i-0a99');
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
    const k = t.db.kysely;
    // Skip TERMINATING behind the code's back, lose an outbox row, write a wrong duration.
    await sql`UPDATE instances SET status = 'TERMINATED', version = version + 1 WHERE id = ${id}`.execute(k);
    await sql`INSERT INTO lifecycle_events (instance_id, client_id, event_type, from_status, to_status, source)
      VALUES (${id}, ${tenant.clientId}, 'TERMINATE_REQUESTED', 'RUNNING', 'TERMINATED', 'backend')`.execute(
      k,
    );
    await sql`DELETE FROM events WHERE data->>'instance_id' = ${id} AND type = 'INSTANCE_RUNNING'`.execute(k);
    const found = (await findViolations(t.db, tenant.clientId)).join('\n');
    expect(found).toMatch(/TERMINATED by TERMINATE_REQUESTED/);
    expect(found).toMatch(/outbox events/);
    expect(found).toMatch(/termination_confirmed_at/);
    expect(found).toMatch(/row version 3, last event 1/);
  });
});
