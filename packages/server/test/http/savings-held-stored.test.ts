import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { SavingsRollup } from '../../src/services/savings-rollup.ts';
import { SavingsService } from '../../src/services/savings-service.ts';
import { confirmedRun, fixedClock, spotPrice, terminationConfirmed } from '../support/savings-fleet.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A savings window holds its stored part (stored hours, and the raw hour before the first of
// them, from which its partial first hour is cut) while the rollup changes nothing of it.
// Whatever changes, a held answer must be the answer read afresh.

const H = 3_600_000;
const MIN = 60_000;
const clock = fixedClock();
let now = clock.now;
const ago = (hours: number) => new Date(now.getTime() - hours * H);
const SETTINGS = { downtimeUsdPerHour: 250, defaultBootSeconds: 120 };
class Rollback extends Error {}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ now: () => now });
});
afterAll(async () => {
  await t?.close();
});

const rollAll = async () => {
  while (((await runJobOnce('savings-rollup', t.server.jobDeps)) ?? 0) > 0);
};

/**
 * A window's fleet and per-agent answers read with nothing held and nothing stored: by fresh
 * services in a transaction that drops the client's stored hours and is rolled back, so
 * every answer is computed from the raw tables.
 */
async function fromRaw(clientId: string, hours: number): Promise<unknown[]> {
  const ctx = t.server.ctx;
  let out: unknown[] = [];
  await t.db.kysely
    .transaction()
    .execute(async (trx) => {
      await trx.deleteFrom('savings_hours').where('client_id', '=', clientId).execute();
      const raw = { ...ctx, db: { ...ctx.db, kysely: trx } };
      const svc = new SavingsService(raw, SETTINGS, new SavingsRollup(raw));
      out = [await svc.fleet(clientId, hours), await svc.agents(clientId, hours)];
      throw new Rollback();
    })
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return out;
}

describe('held stored parts of savings windows', () => {
  it('answer as a fresh read through time passing, late prices, late terminations and hours stored again', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent('api');
    const b = await tenant.registerAgent('worker');
    await confirmedRun(t, tenant, a, { az: 'us-east-1a', from: ago(50.3) });
    const ended = await confirmedRun(t, tenant, b, { az: 'us-east-1b', from: ago(30.6) });
    await confirmedRun(t, tenant, b, { az: 'us-east-1b', from: ago(26.2), role: 'REPLICA' });
    // One that ended inside the 24 h window's first hour, before the window starts once the
    // clock has moved on (it must then drop out of the cut hour).
    const c = await tenant.registerAgent('batch');
    const short = await confirmedRun(t, tenant, c, { az: 'us-east-1a', from: ago(31) });
    await t.db.kysely
      .updateTable('instances')
      .set({ termination_confirmed_at: ago(24 - 13 / 60) })
      .where('id', '=', short)
      .execute();
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(60), 0.02);
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(24.9), 0.013);
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(2.1), 0.017);
    await spotPrice(t, tenant, b.agent_id, 'us-east-1b', ago(40), 0.011);
    await spotPrice(t, tenant, b.agent_id, 'us-east-1b', ago(24.4), 0.019);
    await rollAll();

    const answers: Array<'held' | 'read'> = [];
    const ctx = t.server.ctx;
    const held = new SavingsService(
      ctx,
      SETTINGS,
      new SavingsRollup(ctx, { stored: (from) => answers.push(from) }),
    );
    /** Every window, the held service's answers against the raw tables'; where each came from. */
    const same = async () => {
      answers.length = 0;
      for (const hours of [5, 24, 60, 720]) {
        const got = [await held.fleet(tenant.clientId, hours), await held.agents(tenant.clientId, hours)];
        expect(got, `${hours} h`).toEqual(await fromRaw(tenant.clientId, hours));
      }
      return [...answers];
    };

    expect(await same()).toEqual(Array(8).fill('read'));
    expect(await same()).toEqual(Array(8).fill('held'));
    // Later in the same hour: the windows start later in their first hours, cut from the held ones.
    now = new Date(now.getTime() + 25 * MIN);
    expect(await same()).toEqual(Array(8).fill('held'));
    const first24 = (await held.fleet(tenant.clientId, 24)).hourly[0];
    expect(first24?.hour).toBe(new Date(Math.floor(ago(24).getTime() / H) * H).toISOString());

    // A late price inside the 24 h window's first (held) hour: the hours from it on go, and
    // are stored again before the next read, under the same clock reading as before (the
    // stamp must move though the count of stored hours is back where it was).
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(24 + 5 / 60), 0.044);
    await rollAll();
    expect((await same()).slice(0, 6)).toEqual(Array(6).fill('read'));
    expect(await same()).toEqual(Array(8).fill('held'));

    // A termination confirmed late, inside the stored hours (the instance ran until now: the
    // live span changes too).
    await terminationConfirmed(t, ended, ago(20.5));
    expect(await same()).toContain('read');
    await rollAll();
    await same();
    expect(await same()).toEqual(Array(8).fill('held'));

    // The next hour: new stored spans, and the hour the job stores next.
    now = new Date(now.getTime() + 40 * MIN);
    expect(await same()).toContain('read');
    await rollAll();
    await same();
    expect(await same()).toEqual(Array(8).fill('held'));
  });

  it('are counted by where they came from on /metrics', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent('metrics');
    await confirmedRun(t, tenant, a, { az: 'us-east-1a', from: ago(6.5) });
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(7), 0.02);
    await rollAll();
    const count = async (from: string) => {
      const res = await t.request('GET', '/metrics', {
        headers: { authorization: 'Bearer test-admin-token-0123456789' },
      });
      const line = String(res.body)
        .split('\n')
        .find((l) => l.startsWith(`spot_savings_stored_parts_total{from="${from}"}`));
      return line ? Number(line.split(' ')[1]) : 0;
    };
    const [held0, read0] = [await count('held'), await count('read')];
    const first = await t.request('GET', '/api/client/savings?hours=24', { token: tenant.token });
    const again = await t.request('GET', '/api/client/savings?hours=24', { token: tenant.token });
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await count('read')).toBe(read0 + 1);
    expect(await count('held')).toBe(held0 + 1);
  });
});

describe('the held live span of savings windows (the hours since the last stored one)', () => {
  it('follows price reports, launches, terminations, time and a price reported ahead of the clock', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent('live-a');
    const b = await tenant.registerAgent('live-b');
    await confirmedRun(t, tenant, a, { az: 'us-east-1a', from: ago(30.2) });
    const bRun = await confirmedRun(t, tenant, b, { az: 'us-east-1b', from: ago(3.4) });
    await spotPrice(t, tenant, a.agent_id, 'us-east-1a', ago(40), 0.02);
    await spotPrice(t, tenant, b.agent_id, 'us-east-1b', ago(5), 0.011);
    await rollAll();

    const live: string[] = [];
    const ctx = t.server.ctx;
    const held = new SavingsService(
      ctx,
      SETTINGS,
      new SavingsRollup(ctx, { live: (from) => live.push(from) }),
    );
    const same = async () => {
      live.length = 0;
      for (const hours of [24, 720]) {
        const got = [await held.fleet(tenant.clientId, hours), await held.agents(tenant.clientId, hours)];
        expect(got, `${hours} h`).toEqual(await fromRaw(tenant.clientId, hours));
      }
      return [...new Set(live)];
    };
    const report = async (agent: typeof a, az: string, at: Date, price: number) => {
      const res = await t.request('POST', `/api/agents/${agent.agent_id}/pricing-report`, {
        token: agent.agent_token,
        body: {
          prices: [
            {
              instance_type: 't3.medium',
              availability_zone: az,
              region: 'us-east-1',
              spot_price: price,
              timestamp: at.toISOString(),
            },
          ],
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };

    expect(await same()).toEqual(['table', 'held']);
    expect(await same()).toEqual(['held']);
    // A new price for a pool that runs now: its points are read again.
    await report(a, 'us-east-1a', ago(0.1), 0.035);
    expect(await same()).toEqual(['events', 'held']);
    // A price for a pool nothing runs in changes nothing the span holds.
    await report(a, 'us-east-1c', ago(0.05), 0.05);
    expect(await same()).toEqual(['events', 'held']);
    // A launch into a pool the span has not read, its first price, then b's end.
    const c = await tenant.registerAgent('live-c');
    await confirmedRun(t, tenant, c, { az: 'us-east-1c', from: ago(0.2) });
    expect(await same()).toEqual(['events', 'held']);
    await terminationConfirmed(t, bRun, ago(0.08));
    expect(await same()).toEqual(['events', 'held']);
    // Time passes (same hour): nothing is read.
    now = new Date(now.getTime() + 20 * MIN);
    expect(await same()).toEqual(['held']);
    // A price reported 5 minutes ahead of the clock, the first of its pool, counts only once
    // the clock gets there (until then the pool has no price: its run is not costed).
    const d = await tenant.registerAgent('live-d');
    await confirmedRun(t, tenant, d, { az: 'us-east-1d', from: ago(0.1) });
    expect(await same()).toEqual(['events', 'held']);
    await report(d, 'us-east-1d', new Date(now.getTime() + 5 * MIN), 0.09);
    expect(await same()).toEqual(['events', 'held']);
    now = new Date(now.getTime() + 10 * MIN);
    expect(await same()).toEqual(['held']);
  });
});
