// `npm run bench` runs this once per database (TEST_DB=pglite|postgres) and prints figures.
import { runCanonicalBench } from './canonical-prices.ts';
import { runCommandBench } from './command-latency.ts';
import { runDashboardQueriesBench } from './dashboard-queries.ts';
import { runDecisionBench, runDecisionServiceBench } from './decision-latency.ts';
import { runHeartbeatBench } from './heartbeat-throughput.ts';
import { runReplayBench } from './replay-latency.ts';
import { runSseBench } from './sse-latency.ts';

const which = process.argv[2] ?? 'all';
console.log(`\n# control plane on ${process.env.TEST_DB === 'postgres' ? 'PostgreSQL' : 'embedded PGlite'}`);
if (which === 'all' || which === 'sse') await runSseBench();
if (which === 'all' || which === 'commands') await runCommandBench();
if (which === 'all' || which === 'heartbeats') await runHeartbeatBench();
if (which === 'all' || which === 'replay') await runReplayBench();
// In-process, no database: printed once (on the first database's run, or when asked for).
if ((which === 'all' && process.env.TEST_DB !== 'postgres') || which === 'decisions') runDecisionBench();
if (which === 'all' || which === 'decisions') await runDecisionServiceBench();
if (which === 'all' || which === 'queries') await runDashboardQueriesBench();
if (which === 'all' || which === 'canonical') await runCanonicalBench();
process.exit(0);
