import { afterAll, describe, expect, it } from 'vitest';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// A server that was down for longer than the heartbeat timeout used to mark every agent
// offline the moment it came back (and every RUNNING instance OFFLINE, then RUNNING again):
// the heartbeats it "missed" could not have reached it.
let clock = Date.now();
let testDb: TestDatabase;
let t: TestServer | undefined;
const env = { AGENT_HEARTBEAT_INTERVAL_SECONDS: '60', AGENT_MISSED_HEARTBEATS: '3' };
const start = async () => {
  t = await startTestServer({ testDb, now: () => new Date(clock), env });
  return t;
};
afterAll(async () => {
  await t?.stop();
  await testDb?.dispose();
});

describe('heartbeat monitor after a server restart', () => {
  it('counts silence from the restart, not across the time the server was down', async () => {
    testDb = await createTestDatabase({ persistent: true });
    let server = await start();
    const tenant = await server.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id } = await tenant.launch(agent.agent_id);
    await server.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id, cloud_instance_id: 'i-0b1', state: 'running' },
    });
    await server.stop();

    clock += 600_000; // down for 10 minutes, far past the 3-minute timeout
    server = await start();
    const deps = server.server.jobDeps;
    await runJobOnce('heartbeat-monitor', deps);
    const status = async () =>
      (await server.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token })).body
        .status;
    expect(await status()).toBe('RUNNING');

    clock += 190_000; // and now silent for longer than the timeout since the restart
    await runJobOnce('heartbeat-monitor', deps);
    expect(await status()).toBe('OFFLINE');
  });
});
