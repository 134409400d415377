import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { currentSnapshot, storeHours } from '../../src/repositories/savings-rollup.ts';
import { PriceCatalogue } from '../../src/services/price-catalogue.ts';
import { confirmedRun, fixedClock, spotPrice, terminationConfirmed } from '../support/savings-fleet.ts';
import { startTestServer, type Tenant, type TestServer } from '../support/server.ts';

// The rollup stores each client's finished hours; a savings answer must be the same whether
// its hours come from the rollup or from the raw tables, and stay so after late changes.

const H = 3_600_000;
const { now: NOW, ago } = fixedClock();

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ now: () => NOW });
});
afterAll(async () => {
  await t?.close();
});

/** Two agents over the last ~30 hours: spot runs in two pools with changing prices, one ended. */
async function fleet() {
  const tenant = await t.newTenant();
  const a = await tenant.registerAgent('api');
  const b = await tenant.registerAgent('worker');
  const p = await confirmedRun(t, tenant, a, { az: 'us-east-1a', from: ago(30.4) });
  const r = await confirmedRun(t, tenant, b, { az: 'us-east-1b', from: ago(12.25) });
  await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(40), 0.02);
  await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(20.6), 0.013);
  await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(3.1), 0.017);
  await spotPrice(t, tenant, b.agent_id, 'us-east-1b', ago(10.9), 0.011);
  await spotPrice(t, tenant, b.agent_id, 'us-east-1b', ago(5.5), 0.019);
  // A region the on-demand catalogue does not know: its hours are reported, not compared.
  const c = await tenant.registerAgent('eu');
  await confirmedRun(t, tenant, c, { az: 'eu-west-1a', region: 'eu-west-1', from: ago(80) });
  await spotPrice(t, tenant, c.agent_id, 'eu-west-1a', ago(90), 0.03);
  return { tenant, a, b, p, r };
}

const savings = async (tenant: Tenant, hours: number) => {
  const res = await t.request('GET', `/api/client/savings?hours=${hours}`, { token: tenant.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

/** The answer computed from the raw tables alone: the client's stored hours are dropped first. */
async function rawSavings(tenant: Tenant, hours: number) {
  await t.db.kysely.deleteFrom('savings_hours').where('client_id', '=', tenant.clientId).execute();
  return savings(tenant, hours);
}

const storedHours = async (tenant: Tenant) =>
  (
    await t.db.kysely
      .selectFrom('savings_hours')
      .select('hour')
      .where('client_id', '=', tenant.clientId)
      .orderBy('hour')
      .execute()
  ).map((r) => new Date(r.hour).getTime());

const rollAll = async () => {
  while (((await runJobOnce('savings-rollup', t.server.jobDeps)) ?? 0) > 0);
};

describe('savings rollup', () => {
  it('stores every settled hour since the first run, and the answers do not change', async () => {
    const { tenant } = await fleet();
    // Windows that open inside the unknowns' stretch (eu-west-1 ran 80 h), short and long
    // (their sums are read two ways), and before it.
    const before = {
      five: await savings(tenant, 5),
      sixty: await savings(tenant, 60),
      day: await savings(tenant, 24),
      month: await savings(tenant, 720),
    };
    expect(before.five.unknown_ondemand).toMatchObject([{ region: 'eu-west-1', hours: 5 }]);
    expect(before.sixty.unknown_ondemand).toMatchObject([{ region: 'eu-west-1', hours: 60 }]);
    expect(before.month.total_spot_cost).toBeGreaterThan(0);
    // us-east-1b had no price in its first hour (58 min); eu-west-1 has no on-demand price.
    expect(before.month.unknown_spot_price).toEqual([
      { instance_type: 't3.medium', availability_zone: 'us-east-1b', hours: 0.966667 },
    ]);
    expect(before.month.unknown_ondemand).toMatchObject([
      { region: 'eu-west-1', instance_type: 't3.medium', market: 'spot', hours: 80 },
    ]);
    await rollAll();
    const hours = await storedHours(tenant);
    const firstRunHour = Math.floor(ago(80).getTime() / H) * H;
    // The hour in progress is not stored, nor the last one within 10 minutes of its end.
    const settled = Math.floor((NOW.getTime() - 10 * 60_000) / H) * H;
    expect(hours[0]).toBe(firstRunHour);
    expect(hours[hours.length - 1]).toBe(settled - H);
    expect(hours).toHaveLength((settled - firstRunHour) / H);
    expect(await savings(tenant, 5)).toEqual(before.five);
    expect(await savings(tenant, 60)).toEqual(before.sixty);
    expect(await savings(tenant, 24)).toEqual(before.day);
    expect(await savings(tenant, 720)).toEqual(before.month);
    expect(await rawSavings(tenant, 720)).toEqual(before.month);
  });

  const totalsRows = async (tenant: Tenant) =>
    Number(
      (
        await t.db.kysely
          .selectFrom('savings_unknown_totals')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('client_id', '=', tenant.clientId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('hours without running totals (stored before migration 011) answer the same, and get them on the next pass', async () => {
    const { tenant } = await fleet();
    await rollAll();
    const before = { five: await savings(tenant, 5), month: await savings(tenant, 720) };
    expect(await totalsRows(tenant)).toBe((await storedHours(tenant)).length);
    await t.db.kysely.deleteFrom('savings_unknown_totals').where('client_id', '=', tenant.clientId).execute();
    expect(await savings(tenant, 5)).toEqual(before.five);
    expect(await savings(tenant, 720)).toEqual(before.month);
    expect(await runJobOnce('savings-rollup', t.server.jobDeps)).toBe(0); // nothing new to store
    expect(await totalsRows(tenant)).toBe((await storedHours(tenant)).length);
    expect(await savings(tenant, 5)).toEqual(before.five);
    expect(await savings(tenant, 720)).toEqual(before.month);
  });

  it('an hour stored before stored ones brings their running totals up to date', async () => {
    const { tenant } = await fleet();
    await rollAll();
    const before = { sixty: await savings(tenant, 60), month: await savings(tenant, 720) };
    // The first stored hours go (their unknowns with them); the job stores them again, before
    // every hour still stored, whose totals must then count them once more.
    const hours = await storedHours(tenant);
    await t.db.kysely
      .deleteFrom('savings_hours')
      .where('client_id', '=', tenant.clientId)
      .where('hour', '<', new Date(hours[3]!))
      .execute();
    // Make the later hours' totals wrong, so that only a rewrite from the first hour on is right.
    await t.db.kysely
      .updateTable('savings_unknown_totals')
      .set({ ondemand: '{}', spot: '{}' })
      .where('client_id', '=', tenant.clientId)
      .execute();
    await rollAll();
    expect(await storedHours(tenant)).toEqual(hours);
    expect(await savings(tenant, 60)).toEqual(before.sixty);
    expect(await savings(tenant, 720)).toEqual(before.month);
  });

  const agentSavings = async (tenant: Tenant, hours: number) => {
    const res = await t.request('GET', `/api/client/savings/agents?hours=${hours}&downtime_usd_per_hour=2`, {
      token: tenant.token,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { agents: Array<Record<string, any>> };
  };
  const agentRows = async (tenant: Tenant, fromHour = 0) =>
    Number(
      (
        await t.db.kysely
          .selectFrom('savings_agent_hours')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('client_id', '=', tenant.clientId)
          .where('hour', '>=', new Date(fromHour))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const WINDOWS = [5, 24, 60, 720];
  const DAY = 24 * H;
  const dayRows = async (tenant: Tenant) => {
    const count = async (table: 'savings_days' | 'savings_agent_days') =>
      Number(
        (
          await t.db.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('client_id', '=', tenant.clientId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    return { days: await count('savings_days'), agentDays: await count('savings_agent_days') };
  };

  it("per-agent savings answer the same from the agents' stored rows, and add up to the fleet", async () => {
    const { tenant, a } = await fleet();
    // A standing replica of the api agent for the last 20 hours, in a priced pool: its cost.
    await confirmedRun(t, tenant, a, { az: 'us-east-1a', from: ago(20), role: 'REPLICA' });
    const before: Array<Awaited<ReturnType<typeof agentSavings>>> = [];
    for (const h of WINDOWS) before.push(await agentSavings(tenant, h));
    const api = before[3]!.agents.find((x) => x.agent_id === a.agent_id)!;
    expect(api.replica_roi.replica_cost).toBeGreaterThan(0.2);
    expect(before[3]!.agents.find((x) => x.logical_id === 'eu')!.unknown_ondemand).toMatchObject([
      { region: 'eu-west-1', hours: 80 },
    ]);
    await rollAll();
    // One row per agent that ran in a stored hour: api and eu every hour, worker for its 12.
    const hours = await storedHours(tenant);
    expect(await agentRows(tenant)).toBe(
      hours.filter((h) => h >= Math.floor(ago(30.4).getTime() / H) * H).length +
        hours.length +
        hours.filter((h) => h >= Math.floor(ago(12.25).getTime() / H) * H).length,
    );
    // Whole UTC days are summed per agent once their 24 hours are stored (80 h: three of them).
    const days = await dayRows(tenant);
    expect(days.days).toBe(Math.floor((hours[hours.length - 1]! + H) / DAY) - Math.ceil(hours[0]! / DAY));
    expect(days.days).toBeGreaterThanOrEqual(2);
    expect(days.agentDays).toBeGreaterThanOrEqual(days.days);
    for (const [k, h] of WINDOWS.entries()) expect(await agentSavings(tenant, h)).toEqual(before[k]);
    // Without the day rows, the hours answer the same.
    await t.db.kysely.deleteFrom('savings_days').where('client_id', '=', tenant.clientId).execute();
    expect((await dayRows(tenant)).agentDays).toBe(0);
    for (const [k, h] of WINDOWS.entries()) expect(await agentSavings(tenant, h)).toEqual(before[k]);
    // The agents add up to the fleet.
    const fleetMonth = await savings(tenant, 720);
    const sum = (key: string) => before[3]!.agents.reduce((acc, x) => acc + x[key], 0);
    expect(sum('total_spot_cost')).toBeCloseTo(fleetMonth.total_spot_cost, 5);
    expect(sum('total_ondemand_cost')).toBeCloseTo(fleetMonth.total_ondemand_cost, 5);
    // Hours stored before migration 012 have no agent rows: a per-agent window computes them.
    await t.db.kysely
      .updateTable('savings_hours')
      .set({ per_agent: false })
      .where('client_id', '=', tenant.clientId)
      .execute();
    await t.db.kysely.deleteFrom('savings_days').where('client_id', '=', tenant.clientId).execute();
    await t.db.kysely.deleteFrom('savings_agent_hours').where('client_id', '=', tenant.clientId).execute();
    for (const [k, h] of WINDOWS.entries()) expect(await agentSavings(tenant, h)).toEqual(before[k]);
  });

  it("a late price point removes the agents' rows with their hours; computed again, they answer as the raw tables", async () => {
    const { tenant, a } = await fleet();
    await rollAll();
    const late = ago(39.5);
    const lateHour = Math.floor(late.getTime() / H) * H;
    const daysFrom = async () =>
      (
        await t.db.kysely
          .selectFrom('savings_days')
          .select('day')
          .where('client_id', '=', tenant.clientId)
          .where('last_hour', '>=', new Date(lateHour))
          .execute()
      ).length;
    expect(await agentRows(tenant, lateHour)).toBeGreaterThan(0);
    // At least one whole day ends after it (80 h stored, the last within the hour).
    expect(await daysFrom()).toBeGreaterThan(0);
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', late, 0.031);
    expect(await agentRows(tenant, lateHour)).toBe(0);
    // Removing the day's hours from the late one on removes its last hour, and the day with it.
    expect(await daysFrom()).toBe(0);
    expect(
      await t.db.kysely
        .selectFrom('savings_agent_days as d')
        .leftJoin('savings_days as s', (j) =>
          j.onRef('s.client_id', '=', 'd.client_id').onRef('s.day', '=', 'd.day'),
        )
        .select('d.day')
        .where('d.client_id', '=', tenant.clientId)
        .where('s.day', 'is', null)
        .execute(),
    ).toEqual([]);
    expect(await agentRows(tenant)).toBeGreaterThan(0);
    await rollAll();
    expect(await agentRows(tenant, lateHour)).toBeGreaterThan(0);
    const stored = await agentSavings(tenant, 720);
    await t.db.kysely.deleteFrom('savings_hours').where('client_id', '=', tenant.clientId).execute();
    expect(await agentRows(tenant)).toBe(0);
    expect(await agentSavings(tenant, 720)).toEqual(stored);
  });

  it('per-agent rows older than any window are dropped; their hours stay, marked as without them', async () => {
    const { tenant, a } = await fleet();
    await rollAll();
    const old = new Date(Math.floor(ago(2_200).getTime() / (24 * H)) * 24 * H);
    const k = t.db.kysely;
    await k
      .insertInto('savings_hours')
      .values({
        client_id: tenant.clientId,
        hour: old,
        spot_cost: 1,
        ondemand_cost: 2,
        unknown_ondemand_spend: 0,
        costed: true,
        computed_at: NOW,
      })
      .execute();
    await k
      .insertInto('savings_agent_hours')
      .values({
        client_id: tenant.clientId,
        hour: old,
        agent_id: a.agent_id,
        spot_cost: 1,
        ondemand_cost: 2,
        unknown_ondemand_spend: 0,
        costed: true,
        replica_cost: 0,
        replica_unknown: false,
      })
      .execute();
    const recent = await agentRows(tenant);
    await runJobOnce('savings-rollup', t.server.jobDeps);
    expect(await agentRows(tenant)).toBe(recent - 1);
    const kept = await k
      .selectFrom('savings_hours')
      .select(['hour', 'per_agent'])
      .where('client_id', '=', tenant.clientId)
      .where('hour', '<', ago(100))
      .execute();
    expect(kept.map((r) => [new Date(r.hour).getTime(), r.per_agent])).toEqual([[old.getTime(), false]]);
  });

  it('a late price point removes the hours from its own on, and they are computed again', async () => {
    const { tenant, a } = await fleet();
    await rollAll();
    const late = ago(8.5);
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', late, 0.031);
    const lateHour = Math.floor(late.getTime() / H) * H;
    const left = await storedHours(tenant);
    expect(left.length).toBeGreaterThan(0);
    expect(Math.max(...left)).toBe(lateHour - H);
    const raw = await rawSavings(tenant, 720);
    expect(await savings(tenant, 720)).toEqual(raw);
    await rollAll();
    expect(Math.max(...(await storedHours(tenant)))).toBeGreaterThan(lateHour);
    expect(await savings(tenant, 720)).toEqual(raw);
  });

  it('a termination confirmed late removes the hours from the termination on', async () => {
    const { tenant, r } = await fleet();
    await rollAll();
    const before = await savings(tenant, 720);
    const ended = ago(6.75);
    await terminationConfirmed(t, r, ended);
    expect(Math.max(...(await storedHours(tenant)))).toBe(Math.floor(ended.getTime() / H) * H - H);
    await rollAll();
    const after = await savings(tenant, 720);
    expect(after).toEqual(await rawSavings(tenant, 720));
    expect(after.total_spot_cost).toBeLessThan(before.total_spot_cost);
  });

  it('an on-demand price change removes every stored hour; the catalogue applied again unchanged does not', async () => {
    const { tenant } = await fleet();
    await rollAll();
    const stored = (await storedHours(tenant)).length;
    await PriceCatalogue.load().apply(t.db.kysely);
    expect(await storedHours(tenant)).toHaveLength(stored);
    const od = await t.db.kysely
      .selectFrom('ondemand_prices')
      .selectAll()
      .where('region', '=', 'us-east-1')
      .where('instance_type', '=', 't3.medium')
      .executeTakeFirstOrThrow();
    try {
      await t.db.kysely
        .updateTable('ondemand_prices')
        .set({ price: od.price * 2 })
        .where('region', '=', od.region)
        .where('instance_type', '=', od.instance_type)
        .execute();
      expect(await storedHours(tenant)).toHaveLength(0);
      await rollAll();
      expect(await savings(tenant, 720)).toEqual(await rawSavings(tenant, 720));
    } finally {
      await t.db.kysely
        .updateTable('ondemand_prices')
        .set({ price: od.price })
        .where('region', '=', od.region)
        .where('instance_type', '=', od.instance_type)
        .execute();
    }
  });

  it("hours older than the raw prices' 7-day retention stay as stored: a late change removes only newer ones", async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent('old');
    await confirmedRun(t, tenant, a, { az: 'us-east-1c', from: ago(24 * 9) });
    await spotPrice(t, tenant, a.agent_id, 'us-east-1c', ago(24 * 10), 0.012);
    await rollAll();
    const before = await storedHours(tenant);
    await spotPrice(t, tenant, a.agent_id, 'us-east-1c', ago(24 * 8), 0.5);
    const final = Math.floor(ago(24 * 7).getTime() / H) * H;
    expect(await storedHours(tenant)).toEqual(before.filter((h) => h < final));
  });

  it('hours computed before a change the computation could not see are not stored', async () => {
    const { tenant, a } = await fleet();
    const snapshot = await t.db.kysely.transaction().execute((tx) => currentSnapshot(tx));
    // Committed after the snapshot: the job's computation may not have seen it.
    const late = ago(5.2);
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', late, 0.05);
    const hours = [ago(9), ago(4)].map((d) => ({
      hour: Math.floor(d.getTime() / H) * H,
      spot_cost: 1,
      ondemand_cost: 2,
      unknown_ondemand_spend: 0,
      costed: true,
      unknown_ondemand: [],
      unknown_spot_price: [],
    }));
    const stored = await t.db.kysely
      .transaction()
      .execute((tx) => storeHours(tx, tenant.clientId, snapshot, hours, [], NOW));
    expect(stored).toBe(1);
    expect(await storedHours(tenant)).toEqual([hours[0]!.hour]);
  });

  it('a change committed while the job stores its hours waits for it, then removes what it stored', async () => {
    const { tenant, a } = await fleet();
    const snapshot = await t.db.kysely.transaction().execute((tx) => currentSnapshot(tx));
    const hour = {
      hour: Math.floor(ago(3).getTime() / H) * H,
      spot_cost: 1,
      ondemand_cost: 2,
      unknown_ondemand_spend: 0,
      costed: true,
      unknown_ondemand: [],
      unknown_spot_price: [],
    };
    let writer: Promise<void> | undefined;
    await t.db.kysely.transaction().execute(async (tx) => {
      expect(await storeHours(tx, tenant.clientId, snapshot, [hour], [], NOW)).toBe(1);
      // A late price for an earlier hour, sent while the job's transaction is still open.
      writer = spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(3.5), 0.07);
      if (t.testDb.kind === 'postgres') {
        // Its trigger waits on the rollup lock the job holds (PGlite's one connection
        // queues the whole statement behind the job's transaction instead).
        const deadline = Date.now() + 10_000;
        let waiting = false;
        while (!waiting && Date.now() < deadline) {
          const r = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`.execute(
            t.db.kysely,
          );
          waiting = r.rows[0]!.n > 0;
          if (!waiting) await new Promise((r) => setTimeout(r, 10));
        }
        expect(waiting, 'the writer did not wait on the rollup lock').toBe(true);
      }
    });
    await writer;
    expect(await storedHours(tenant)).toEqual([]);
  });
});
