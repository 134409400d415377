import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { findViolations } from '../support/invariants.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Property (issues 8, 9): under random interleavings of switches, replica launches,
 * promotions, joins, confirmations, launch failures, cut-over results, reclaims, termination
 * notices (and the emergency responses they start) and timeouts — some sent
 * concurrently, some twice — an agent never has two PRIMARYs at any step, nothing answers
 * 5xx, the DESIGN §3 invariants hold, and no switch stays IN_PROGRESS past the timeout job.
 */
type Op =
  | { kind: 'switch'; pool: number }
  | { kind: 'replica'; pool: number }
  | { kind: 'promote'; i: number }
  | { kind: 'join'; c: number }
  | { kind: 'launchFailed'; c: number }
  | { kind: 'promoteResult'; c: number; success: boolean }
  | { kind: 'reclaim'; i: number }
  | { kind: 'notice'; i: number }
  | { kind: 'jobs'; seconds: number };

const POOLS = [
  { instance_type: 'c5.large', availability_zone: 'us-east-1b' },
  { instance_type: 'm5.large', availability_zone: 'us-east-1c' },
  { instance_type: 't3.medium', availability_zone: 'us-east-1a' },
];
const i = fc.nat({ max: 5 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('switch' as const), pool: fc.nat({ max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replica' as const), pool: fc.nat({ max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('promote' as const), i }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('join' as const), c: i }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('launchFailed' as const), c: i }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('promoteResult' as const), c: i, success: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reclaim' as const), i }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('notice' as const), i }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('jobs' as const), seconds: fc.constantFrom(5, 700) }),
  },
);
const batch = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 3 }), twice: fc.boolean() });
const program = fc.array(batch, { minLength: 4, maxLength: 14 });
const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);

let t: TestServer;
let clock = Date.parse('2026-06-01T00:00:00.000Z');
beforeAll(async () => {
  t = await startTestServer({ now: () => new Date(clock), env: { SWITCH_TIMEOUT_SECONDS: '600' } });
});
afterAll(async () => {
  await t?.close();
});

interface Cmd {
  id: string;
  command_type: string;
  metadata: Record<string, unknown>;
}

describe('switch interleavings', () => {
  it('never two PRIMARYs, never a 5xx, invariants hold, and no switch is left in progress', async () => {
    let cloudSeq = 0x1000;
    await fc.assert(
      fc.asyncProperty(program, async (batches) => {
        const tenant = await t.newTenant();
        const launcher = await tenant.registerAgent();
        const agentId = launcher.agent_id;
        // Process tokens: the launcher's (no own instance) and each joined instance's.
        const tokens: string[] = [launcher.agent_token];
        const commands: Cmd[] = [];
        // Commands already acted on: ops pick among the others first, so runs get far.
        const used = new Set<string>();
        const pick = (type: string, n: number) => {
          const all = commands.filter((c) => c.command_type === type);
          const fresh = all.filter((c) => !used.has(c.id));
          const from = fresh.length ? fresh : all;
          const c = from[n % Math.max(1, from.length)];
          if (c) used.add(c.id);
          return c;
        };
        const instances: string[] = [];
        const statuses: number[] = [];
        const req = async (method: string, path: string, token: string, body?: unknown) => {
          const r = await t.request(method, path, { token, ...(body === undefined ? {} : { body }) });
          statuses.push(r.status);
          return r;
        };
        const pollAll = async () => {
          for (const token of tokens) {
            const r = await req('GET', `/api/agents/${agentId}/pending-commands`, token);
            for (const c of (r.body.commands ?? []) as Cmd[]) commands.push(c);
          }
        };
        // A serving primary with its own joined agent to begin with.
        await tenant.launch(agentId);
        await pollAll();
        const first = commands.shift()!;
        const joined = await req('POST', '/api/agents/join', '', {
          join_token: first.metadata.join_token,
          cloud_instance_id: `i-0${(cloudSeq++).toString(16)}`,
        });
        tokens.push(joined.body.agent_token);
        instances.push(joined.body.instance_id);

        const run = async (o: Op) => {
          switch (o.kind) {
            case 'switch':
              await req('POST', `/api/client/agents/${agentId}/switch`, tenant.token, POOLS[o.pool]);
              return;
            case 'replica': {
              const r = await req(
                'POST',
                `/api/client/agents/${agentId}/replicas`,
                tenant.token,
                POOLS[o.pool],
              );
              if (r.body.instance_id) instances.push(r.body.instance_id);
              return;
            }
            case 'promote': {
              const id = instances[o.i % instances.length];
              if (id) await req('POST', `/api/client/instances/${id}/promote`, tenant.token, {});
              return;
            }
            case 'join': {
              const c = pick('LAUNCH_INSTANCE', o.c);
              if (!c) return;
              const r = await req('POST', '/api/agents/join', '', {
                join_token: c.metadata.join_token,
                cloud_instance_id: `i-0${(cloudSeq++).toString(16)}`,
              });
              if (r.status === 200) {
                tokens.push(r.body.agent_token);
                instances.push(r.body.instance_id);
              }
              return;
            }
            case 'launchFailed': {
              const c = pick('LAUNCH_INSTANCE', o.c);
              if (c)
                await req('POST', `/api/agents/${agentId}/commands/${c.id}/result`, tokens[0]!, {
                  success: false,
                  result: { error_code: 'InsufficientInstanceCapacity' },
                });
              return;
            }
            case 'promoteResult': {
              const c = pick('PROMOTE_REPLICA', o.c);
              if (c)
                await req('POST', `/api/agents/${agentId}/commands/${c.id}/result`, tokens[0]!, {
                  success: o.success,
                  ...(o.success ? {} : { result: { error_code: 'InvalidAllocationID.NotFound' } }),
                });
              return;
            }
            case 'reclaim': {
              const id = instances[o.i % instances.length];
              if (id)
                await req('POST', `/api/agents/${agentId}/instance-terminated`, tokens[0]!, {
                  instance_id: id,
                  state: 'terminated',
                  source: 'external',
                });
              return;
            }
            case 'notice': {
              // A termination notice for one of the workload's instances (as its agent reports it).
              const id = instances[o.i % instances.length];
              const row = id
                ? await t.request('GET', `/api/client/instances/${id}`, { token: tenant.token })
                : null;
              const cloudId = row?.body?.cloud_instance_id;
              if (cloudId)
                await req('POST', `/api/agents/${agentId}/termination-notice`, tokens[0]!, {
                  cloud_instance_id: cloudId,
                  action: 'terminate',
                  time: new Date(clock + 120_000).toISOString(),
                });
              return;
            }
            case 'jobs':
              clock += o.seconds * 1000;
              for (const job of ['switch-timeouts', 'zombie-reaper', 'stuck-transitions'] as const)
                await runJobOnce(job, t.server.jobDeps);
              return;
          }
        };

        for (const b of batches) {
          const ops = b.twice ? [...b.ops, ...b.ops] : b.ops;
          await Promise.all(ops.map(run));
          await pollAll();
          const primaries = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM instances
            WHERE agent_id = ${agentId} AND role = 'PRIMARY' AND status NOT IN ('TERMINATED', 'FAILED')`.execute(
            t.db.kysely,
          );
          expect(primaries.rows[0]?.n).toBeLessThanOrEqual(1);
        }
        expect(statuses.filter((s) => s >= 500)).toEqual([]);
        expect(await findViolations(t.db, tenant.clientId)).toEqual([]);

        // Whatever was left half-done, the timeout job ends it — an emergency replacement is
        // retried a bounded number of times (a workload that lost its primary), then given up.
        for (let n = 0; n < 8; n++) {
          clock += 700_000;
          await runJobOnce('switch-timeouts', t.server.jobDeps);
        }
        const open = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM switches WHERE agent_id = ${agentId} AND status = 'IN_PROGRESS'`.execute(
          t.db.kysely,
        );
        expect(open.rows[0]?.n).toBe(0);
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
