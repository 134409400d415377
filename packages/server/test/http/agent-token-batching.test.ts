import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Agent tokens are resolved in groups (AuthService → AgentTokenLookup): tokens that arrive
 * together share one query. Each request must still act as its own agent — a batch that
 * mixed up its answers would let one agent's heartbeat pass as another's.
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('agent tokens resolved together', () => {
  it('gives every concurrent request its own agent, refuses foreign ids and unknown tokens', async () => {
    const tenant = await t.newTenant();
    const agents = await Promise.all(
      Array.from({ length: 12 }, (_, i) => tenant.registerAgent(`batch-${i}`)),
    );
    const beat = (agentId: string, token: string) =>
      t.request('POST', `/api/agents/${agentId}/heartbeat`, { token, body: { uptime_seconds: 1 } });
    // All at once, so they land in the same batches: own ids, the neighbour's id, a
    // well-formed token nobody holds, and the same token twice in one batch.
    const [own, foreign, unknown, twice] = await Promise.all([
      Promise.all(agents.map((a) => beat(a.agent_id, a.agent_token))),
      Promise.all(agents.map((a, i) => beat(agents[(i + 1) % agents.length]!.agent_id, a.agent_token))),
      beat(agents[0]!.agent_id, `sog_${'x'.repeat(43)}`),
      Promise.all([1, 2].map(() => beat(agents[3]!.agent_id, agents[3]!.agent_token))),
    ]);
    expect(own.map((r) => r.status)).toEqual(agents.map(() => 200));
    expect(foreign.map((r) => r.status)).toEqual(agents.map(() => 403));
    expect(unknown.status).toBe(401);
    expect(twice.map((r) => r.status)).toEqual([200, 200]);
  });
});
