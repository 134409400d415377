// Child process of the soak: our server (real HTTP, real database) plus a steady trickle of
// launches, each one INSTANCE_LAUNCHING event for every SSE client. It answers the parent's
// samples with its own RSS, heap, event-loop delay and open handles.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runMigrations } from '../src/db/migrate.ts';
import { startTestServer } from '../test/support/server.ts';
import { benchDatabase } from './bench-db.ts';
import { createFleet } from './fleet.ts';

const [fleetArg, eventsPerSecondArg] = process.argv.slice(2);
const testDb = await benchDatabase();
const setup = await testDb.open();
await runMigrations(setup);
const fleet = await createFleet(setup, Number(fleetArg));
await setup.close();
const t = await startTestServer({
  listen: true,
  testDb,
  env: { SSE_HEARTBEAT_SECONDS: '3600', RATE_LIMIT_PER_MINUTE: '100000000', DB_POOL_SIZE: '16' },
});
const tenant = await t.newTenant();
const agent = await tenant.registerAgent('soak');
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
let sent = 0;
/** Launches asked for: each its own request id, even while an earlier one is still running. */
let issued = 0;
let launching: NodeJS.Timeout | null = null;

process.on('message', async (m: { start?: boolean; sample?: boolean; stop?: boolean; exit?: boolean }) => {
  if (m.start) {
    const gap = 1000 / Number(eventsPerSecondArg);
    launching = setInterval(() => {
      void t.server.lifecycle
        .launch(
          tenant.clientId,
          { agent_id: agent.agent_id, instance_type: 't3.medium', role: 'REPLICA', market: 'spot' },
          `soak-${issued++}`,
          'soak',
        )
        .then(() => sent++)
        .catch((err) => process.send?.({ error: String(err) }));
    }, gap);
  }
  if (m.sample) {
    const mem = process.memoryUsage();
    process.send?.({
      sample: {
        rss: mem.rss,
        heap: mem.heapUsed,
        eldP99: eld.percentile(99) / 1e6,
        eldMax: eld.max / 1e6,
        handles: process.getActiveResourcesInfo().length,
        sent,
      },
    });
    eld.reset();
  }
  if (m.stop) {
    if (launching) clearInterval(launching);
    // Let the last launches commit and fan out before the count is final.
    await new Promise((r) => setTimeout(r, 1500));
    process.send?.({ stopped: sent });
  }
  if (m.exit) {
    await t.close();
    process.exit(0);
  }
});
process.send?.({
  ready: {
    url: t.url,
    clientId: tenant.clientId,
    token: tenant.token,
    agents: fleet.agents,
  },
});
