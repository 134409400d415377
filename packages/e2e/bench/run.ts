/**
 * Control-plane overhead of a launch, end to end across real processes (server, EC2
 * simulator, agent): launch request → agent has the command → RunInstances → simulated
 * instance running → agent confirms → INSTANCE_RUNNING on the dashboard's SSE stream, with
 * the simulated boot delay subtracted. Measured for this design (long-poll) and, in the same
 * run, for the seeds' design (the agent polls for commands every 5 s).
 *
 * Run by `npm run bench` (TEST_DB=pglite|postgres), or alone:
 *   node --import tsx packages/e2e/bench/run.ts
 */

import { TEST_DB } from '../test/support/database.ts';
import { launch } from '../test/support/fleet.ts';
import type { SseStream } from '../test/support/sse.ts';
import { type AgentHandle, Stack, type Tenant } from '../test/support/stack.ts';
import { benchInterruptionResponse } from './interruption-response.ts';
import { benchSwitchDowntime } from './switch-downtime.ts';

const SPEED = 20;
const BOOT_SIM_SECONDS = 20;
const BOOT_REAL_MS = (BOOT_SIM_SECONDS / SPEED) * 1000;
const LAUNCHES = Number(process.env.BENCH_LAUNCHES ?? 30);
const SPACING_MS = 400;
const SEEDS_POLL_SECONDS = 5;

interface Sample {
  deliveryMs: number;
  overheadMs: number;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

async function measure(
  stack: Stack,
  tenant: Tenant,
  stream: SseStream,
  agent: AgentHandle,
): Promise<Sample[]> {
  const runs: Promise<Sample>[] = [];
  for (let i = 0; i < LAUNCHES; i++) {
    runs.push(
      (async () => {
        const t0 = Date.now();
        const { instance_id, command_id } = await launch(stack, tenant, {
          agent_id: agent.agentId,
          instance_type: i % 2 ? 'c5.large' : 'm5.large',
          availability_zone: ['us-east-1a', 'us-east-1b', 'us-east-1c'][i % 3],
        });
        const running = await stream.waitFor(
          (e) => e.type === 'INSTANCE_RUNNING' && e.data.data?.instance_id === instance_id,
          120_000,
        );
        const exec = await agent.proc.waitForLog('executing command', { command_id }, 60_000);
        const seenAt = performance.timeOrigin + running.receivedAt;
        return { deliveryMs: Number(exec.time) - t0, overheadMs: seenAt - t0 - BOOT_REAL_MS };
      })(),
    );
    await new Promise((r) => setTimeout(r, SPACING_MS));
  }
  return Promise.all(runs);
}

function row(name: string, s: Sample[]) {
  const d = s.map((x) => x.deliveryMs);
  const o = s.map((x) => x.overheadMs);
  return {
    design: name,
    launches: s.length,
    'delivery p50 ms': Math.round(pct(d, 50)),
    'delivery p99 ms': Math.round(pct(d, 99)),
    'overhead p50 ms': Math.round(pct(o, 50)),
    'overhead p99 ms': Math.round(pct(o, 99)),
  };
}

async function main() {
  const started = Date.now();
  const stack = await Stack.start({
    speed: SPEED,
    simArgs: ['--boot-delay-seconds', String(BOOT_SIM_SECONDS)],
  });
  try {
    const tenant = await stack.createTenant('bench');
    const stream = await stack.openStream(tenant);
    const longPoll = await stack.startAgent(tenant, { logicalId: 'bench-longpoll' });
    // The seeds' agent: no long-poll, a plain poll every 5 real seconds (intervals are divided by the scale).
    const seeds = await stack.startAgent(tenant, {
      logicalId: 'bench-seeds',
      env: { SPOT_LONG_POLL_SECONDS: '0', SPOT_COMMAND_POLL_SECONDS: String(SEEDS_POLL_SECONDS * SPEED) },
    });
    const a = await measure(stack, tenant, stream, longPoll);
    const b = await measure(stack, tenant, stream, seeds);
    stream.close();

    const ra = row('long-poll (this design)', a);
    const rb = row(`seeds: poll every ${SEEDS_POLL_SECONDS} s`, b);
    console.log(
      `\n=== e2e launch overhead (${TEST_DB}) — server + spot-cloud-sim (speed ${SPEED}) + spot-agent processes ===`,
    );
    console.log(
      `launch request → agent has the command (delivery) and → INSTANCE_RUNNING on SSE minus the ${BOOT_SIM_SECONDS} s simulated boot (${BOOT_REAL_MS} ms real) = control-plane overhead`,
    );
    console.table([ra, rb]);
    console.log(
      `ratio seeds/long-poll: delivery p50 ×${(rb['delivery p50 ms'] / Math.max(1, ra['delivery p50 ms'])).toFixed(0)}, overhead p50 ×${(rb['overhead p50 ms'] / Math.max(1, ra['overhead p50 ms'])).toFixed(1)}, overhead p99 ×${(rb['overhead p99 ms'] / Math.max(1, ra['overhead p99 ms'])).toFixed(1)}`,
    );
    console.log(
      `note: overhead includes the agent's AWS confirmation poll (SPOT_CONFIRM_POLL_SECONDS 5 s ÷ time scale ${SPEED} = ${5000 / SPEED} ms here; at real speed that poll alone adds 0-5 s), RunInstances, the confirmation POST and SSE fan-out. Total bench time ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    );
  } finally {
    await stack.stop();
  }
  await benchSwitchDowntime(TEST_DB);
  await benchInterruptionResponse(TEST_DB);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
