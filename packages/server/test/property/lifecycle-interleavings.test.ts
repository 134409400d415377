import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listActiveInstances } from '../../src/repositories/instances.ts';
import { isoRowToInstanceJson } from '../../src/views/instance.ts';
import { findViolations } from '../support/invariants.ts';
import { lifecycleCalls } from '../support/lifecycle-calls.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Property: whatever order, repetition and concurrency launch/terminate requests and agent
 * reports arrive in, the database satisfies DESIGN §3 invariants 1–7 afterwards (checked by
 * findViolations from the rows themselves), and no request gets a 5xx or a lost update.
 * One server per file; each run gets a tenant and an agent of its own.
 */
type Op =
  | { kind: 'launch'; role: 'PRIMARY' | 'REPLICA' | undefined }
  | { kind: 'terminate'; i: number }
  | { kind: 'launched'; i: number; cloud: number }
  | { kind: 'terminated'; i: number; external: boolean; withCloud: boolean }
  | { kind: 'result'; c: number; success: boolean; withCloud: boolean };

const idx = fc.nat({ max: 5 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('launch' as const),
      role: fc.constantFrom(undefined, 'PRIMARY' as const, 'REPLICA' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('terminate' as const), i: idx }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('launched' as const), i: idx, cloud: fc.nat({ max: 2 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('terminated' as const),
      i: idx,
      external: fc.boolean(),
      withCloud: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('result' as const),
      c: fc.nat({ max: 7 }),
      success: fc.boolean(),
      withCloud: fc.boolean(),
    }),
  },
);
/** A batch runs concurrently (Promise.all); `twice` sends every op of it two times (duplicates). */
const batch = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 4 }), twice: fc.boolean() });
const program = fc.array(batch, { minLength: 1, maxLength: 8 });

const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const cloudIdOf = (i: number, n: number) => `i-0${(i + 1).toString(16)}a${n}`;

async function runProgram(batches: Array<{ ops: Op[]; twice: boolean }>) {
  const tenant = await t.newTenant();
  const agent = await tenant.registerAgent();
  const api = lifecycleCalls(t, tenant.token, agent);
  const instances: string[] = [];
  const commands: string[] = [];
  const cloudOf = new Map<string, string>();
  const unexpected: string[] = [];
  let applied = 0;
  let notApplied = 0;

  const exec = async (o: Op): Promise<void> => {
    const inst = instances.length ? instances[('i' in o ? o.i : 0) % instances.length]! : undefined;
    let res: Awaited<ReturnType<typeof api.launch>>;
    switch (o.kind) {
      case 'launch':
        res = await api.launch(o.role ? { role: o.role } : {});
        if (res.status === 202) {
          instances.push(res.body.instance_id);
          commands.push(res.body.command_id);
        }
        break;
      case 'terminate':
        if (!inst) return;
        res = await api.terminate(inst);
        if (res.status === 202 && res.body.command_id) commands.push(res.body.command_id);
        break;
      case 'launched': {
        if (!inst) return;
        const cloud = cloudIdOf(instances.indexOf(inst), o.cloud);
        res = await api.launched(inst, cloud);
        if (res.body.outcome === 'applied') cloudOf.set(inst, cloud);
        break;
      }
      case 'terminated':
        if (!inst) return;
        res = await api.terminated(inst, {
          source: o.external ? 'external' : 'agent',
          ...(o.withCloud ? { cloudId: cloudOf.get(inst) ?? cloudIdOf(instances.indexOf(inst), 0) } : {}),
        });
        break;
      case 'result': {
        if (!commands.length) return;
        const cmd = commands[o.c % commands.length]!;
        res = await api.result(cmd, {
          success: o.success,
          ...(o.withCloud ? { result: { cloud_instance_id: cloudIdOf(o.c, 1) } } : {}),
          ...(o.success ? {} : { message: 'simulated failure' }),
        });
        break;
      }
    }
    if (res.body?.outcome === 'applied') applied++;
    if (res.body?.outcome === 'duplicate' || res.body?.outcome === 'late') notApplied++;
    // Allowed refusals: an illegal transition, a second PRIMARY, a cloud id that does not
    // match. Never a 5xx, never a VERSION_CONFLICT (that would be a writer without the lock).
    const ok =
      res.status === 200 ||
      res.status === 202 ||
      (res.status === 409 && ['INVALID_TRANSITION', 'CONFLICT'].includes(res.body?.error?.code));
    if (!ok) unexpected.push(`${JSON.stringify(o)} → ${res.status} ${JSON.stringify(res.body)}`);
  };

  // The list the dashboard gets (a cached answer while the client's latest event seq has not
  // moved) must equal the rows as they are, after every batch.
  const listMatchesRows = async () => {
    const res = await t.request('GET', '/api/client/instances', { token: tenant.token });
    const fresh = await listActiveInstances(t.db.kysely, tenant.clientId);
    const byId = (a: { instance_id: string }, b: { instance_id: string }) =>
      a.instance_id.localeCompare(b.instance_id);
    expect(res.status).toBe(200);
    expect([...res.body.instances].sort(byId)).toEqual(fresh.map(isoRowToInstanceJson).sort(byId));
  };
  for (const b of batches) {
    const ops = b.twice ? [...b.ops, ...b.ops] : b.ops;
    await Promise.all(ops.map(exec));
    await listMatchesRows();
  }
  return { tenant, unexpected, applied, notApplied };
}

describe('random interleavings of lifecycle requests and agent reports', () => {
  it(`keep every invariant on the database (${RUNS} runs)`, async () => {
    let totalInstances = 0;
    await fc.assert(
      fc.asyncProperty(program, async (batches) => {
        const { tenant, unexpected, applied, notApplied } = await runProgram(batches);
        expect(unexpected).toEqual([]);
        expect(await findViolations(t.db, tenant.clientId)).toEqual([]);
        // Each confirmation answered "applied" is exactly one confirmed change on record,
        // and each duplicate / late answer left a record too (invariant 3).
        const counts = (
          await sql<{ confirmed: number; recorded: number; n: number }>`SELECT
              count(*) FILTER (WHERE event_type IN ('LAUNCH_CONFIRMED', 'TERMINATE_CONFIRMED'))::int AS confirmed,
              count(*) FILTER (WHERE event_type LIKE 'CONFIRMATION_%')::int AS recorded,
              count(DISTINCT instance_id)::int AS n
            FROM lifecycle_events WHERE client_id = ${tenant.clientId}`.execute(t.db.kysely)
        ).rows[0]!;
        expect(counts.confirmed).toBe(applied);
        expect(counts.recorded).toBeGreaterThanOrEqual(notApplied);
        totalInstances += counts.n;
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    // The generator does reach the database: dozens of instances over the runs.
    expect(totalInstances).toBeGreaterThan(RUNS);
  }, 120_000);
});
