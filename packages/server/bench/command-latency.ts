import { startTestServer } from '../test/support/server.ts';
import { benchDatabase } from './bench-db.ts';
import { line, summarize, wallMs } from './stats.ts';

const SEEDS_POLL_MS = 5000;

/**
 * Launch request → the agent has the command. Our design: the agent long-polls
 * (`pending-commands?wait=25`) and the queueing wakes it. The seeds' design: the agent asks
 * every 5 s. Both measured here over real HTTP, from sending the launch request to the
 * agent holding the command.
 */
export async function runCommandBench(samples = 200, seedSamples = 40): Promise<void> {
  const testDb = await benchDatabase();
  const t = await startTestServer({ listen: true, testDb });
  try {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent('bench');
    const headers = { authorization: `Bearer ${agent.agent_token}` };
    const launch = () =>
      fetch(`${t.url}/api/client/instances/launch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ agent_id: agent.agent_id, instance_type: 't3.medium', role: 'REPLICA' }),
      });

    const longPoll: number[] = [];
    for (let i = 0; i < samples; i++) {
      const polling = fetch(`${t.url}/api/agents/${agent.agent_id}/pending-commands?wait=25`, {
        headers,
      }).then((r) => r.json());
      await new Promise((r) => setTimeout(r, 5)); // the poll is parked before the launch
      const t0 = wallMs();
      const sent = launch();
      const got = (await polling) as { commands: unknown[] };
      longPoll.push(wallMs() - t0);
      await sent;
      if (got.commands.length !== 1) throw new Error('long-poll returned no command');
    }
    const ours = summarize(longPoll);
    line('launch request → agent has command (long-poll)', ours, 'p99 ≤ 25 ms');

    // The seeds' design: each agent polls every 5 s at its own phase; the launch lands at a
    // random point of that cycle. Many agents in parallel keep the run to ~10 s.
    const agents = await Promise.all(
      Array.from({ length: seedSamples }, (_, i) => tenant.registerAgent(`poller-${i}`)),
    );
    const results = await Promise.all(
      agents.map(async (a) => {
        const phase = Math.random() * SEEDS_POLL_MS;
        const h = { authorization: `Bearer ${a.agent_token}` };
        const start = wallMs();
        let t0 = 0;
        setTimeout(async () => {
          t0 = wallMs();
          await fetch(`${t.url}/api/client/instances/launch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ agent_id: a.agent_id, instance_type: 't3.medium', role: 'REPLICA' }),
          });
        }, phase);
        for (let k = 1; ; k++) {
          await new Promise((r) => setTimeout(r, start + k * SEEDS_POLL_MS - wallMs()));
          const r = (await (
            await fetch(`${t.url}/api/agents/${a.agent_id}/pending-commands?wait=0`, { headers: h })
          ).json()) as {
            commands: unknown[];
          };
          if (r.commands.length > 0) return wallMs() - t0;
        }
      }),
    );
    const seeds = summarize(results);
    line('launch request → agent has command (seeds: 5 s poll)', seeds);
    console.log(
      `  ratio seeds/ours: p50 ×${(seeds.p50 / ours.p50).toFixed(0)}, p99 ×${(seeds.p99 / ours.p99).toFixed(0)}`,
    );
  } finally {
    await t.close();
  }
}
