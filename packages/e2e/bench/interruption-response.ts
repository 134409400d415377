/**
 * Interruptions answered before the deadline (issue 9; DESIGN §6), across real processes:
 *  1. IMDS notice → the server has it: the simulator issues the notice (t0 = its answer to
 *     the control call), the agent's IMDS monitor sees it and reports; measured to the
 *     interruption's `received_at` on the server (same machine, same clock).
 *  2. notice → replica promoted and serving: a manual_replica workload with an Elastic IP is
 *     interrupted again and again (the keeper brings a new replica each time); the figure is
 *     the record's `serving_after_seconds` (notice detected → new primary serving, the address
 *     moved), judged against AWS's deadline — beside the seeds' "99% within 2 min".
 * The agent's IMDS poll interval is part of figure 1 and is printed with it.
 */
import { eventually, Stack } from '../test/support/stack.ts';

const INTERRUPTIONS = Number(process.env.BENCH_INTERRUPTIONS ?? 30);
const SPEED = 20;
const POLL_SECONDS = 1; // the agent's default SPOT_INTERRUPTION_POLL_SECONDS

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

interface Interruption {
  cloud_instance_id: string;
  kind: string;
  received_at: string;
  outcome: string | null;
  response: string | null;
  serving_after_seconds: number | null;
}

export async function benchInterruptionResponse(dbLabel: string): Promise<void> {
  const stack = await Stack.start({ speed: SPEED, simArgs: ['--boot-delay-seconds', '20'] });
  try {
    const tenant = await stack.createTenant('bench-interrupt');
    const first = await stack.startAgent(tenant, { logicalId: 'bench-em' });
    stack.startCloudInit();
    const agentId = first.agentId;
    const allocationId = await stack.elasticIpFor(first.hostInstanceId);
    const cfg = await stack.api('GET', `/api/client/agents/${agentId}/config`, tenant.token);
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'];
    await stack.api('PUT', `/api/client/agents/${agentId}/config`, tenant.token, {
      mode: 'manual_replica',
      candidate_pools: zones.map((az) => ({ instance_type: 'c5.large', availability_zone: az })),
      min_savings_percent: 10,
      on_rebalance: 'mark',
      on_demand_fallback: false,
      elastic_ip_allocation_id: allocationId,
      version: cfg.version,
    });
    const instances = async () =>
      (await stack.api('GET', '/api/client/instances', tenant.token)).instances as Array<
        Record<string, string>
      >;
    const interruptions = async () =>
      (await stack.api('GET', '/api/client/interruptions', tenant.token)).interruptions as Interruption[];

    const toServer: number[] = [];
    const serving: number[] = [];
    const outcomes: string[] = [];
    for (let n = 0; n < INTERRUPTIONS; n++) {
      // The keeper's replica must be up (and its agent polling) before the next notice.
      const primary = await eventually(
        async () => {
          const all = await instances();
          const p = all.find((i) => i.role === 'PRIMARY' && i.status === 'RUNNING');
          const r = all.find((i) => i.role === 'REPLICA' && i.status === 'RUNNING');
          return p && r ? p : null;
        },
        120_000,
        50,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const t0 = Date.now();
      await stack.sim_('POST', `/_sim/instances/${primary.cloud_instance_id}/interrupt`, {
        notice_seconds: 120,
      });
      const done = await eventually(
        async () => {
          const i = (await interruptions()).find(
            (x) => x.cloud_instance_id === primary.cloud_instance_id && x.kind === 'termination_notice',
          );
          return i?.outcome ? i : null;
        },
        120_000,
        50,
      );
      toServer.push(Date.parse(done.received_at) - t0);
      serving.push(Number(done.serving_after_seconds) * 1000);
      outcomes.push(String(done.outcome));
    }
    const deadlineMs = (120 / SPEED) * 1000;
    const inTime = outcomes.filter((o) => o === 'in_time').length;
    console.log(
      `\n=== interruption response (${dbLabel}) — ${INTERRUPTIONS} termination notices on a manual_replica workload, server + spot-cloud-sim (speed ${SPEED}) + agents ===`,
    );
    console.table([
      {
        measure: `IMDS notice → server has it (agent polls IMDS every ${POLL_SECONDS} s ÷ ${SPEED} = ${(POLL_SECONDS * 1000) / SPEED} ms here)`,
        p50: Math.round(pct(toServer, 50)),
        'p95/max': `${Math.round(pct(toServer, 95))} / max ${Math.round(Math.max(...toServer))}`,
      },
      {
        measure: 'notice → replica promoted and serving (address moved) ms',
        p50: Math.round(pct(serving, 50)),
        'p95/max': `${Math.round(pct(serving, 95))} / max ${Math.round(Math.max(...serving))}`,
      },
    ]);
    console.log(
      `before the deadline (${deadlineMs} ms real = 120 simulated s): ${inTime}/${INTERRUPTIONS} (${((100 * inTime) / INTERRUPTIONS).toFixed(0)}%; goal 100%, seeds: 99% within 2 min); p95 ${Math.round(pct(serving, 95))} ms (goal ≤ 5000 ms). ` +
        `At real speed the IMDS poll adds up to ${POLL_SECONDS * 1000} ms instead of ${(POLL_SECONDS * 1000) / SPEED} ms: notice → server ≤ ${POLL_SECONDS * 1000 + Math.round(Math.max(...toServer))} ms (goal p99 ≤ 1500 ms; fewer than 1000 trials, so the max is given).`,
    );
  } finally {
    await stack.stop();
  }
}
