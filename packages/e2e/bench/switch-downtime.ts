/**
 * Switch downtime with a warm replica (issue 8; DESIGN §6: p95 ≤ 1 s, seeds < 10 s), across
 * real processes: a workload with an Elastic IP gets a replica (booted by cloud-init, its
 * own agent joined), which is then promoted; repeated ≥ 30 times. Downtime is read from
 * "AWS" — the simulator's association history of the address: the time it pointed at no
 * instance, or at one that was not running — and printed beside what the server recorded
 * (the cut-over window the new primary's agent reported) and the promote → COMPLETED time.
 */
import type { SseStream } from '../test/support/sse.ts';
import { eventually, Stack, type Tenant } from '../test/support/stack.ts';

const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 30);
const SPEED = 60;
const WARM_MS = 2_000;

interface HistoryEntry {
  instance_id: string | null;
  at: string;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

/** Milliseconds the address served nothing between its last two associations. */
function awsGapMs(history: HistoryEntry[], fromCloud: string, toCloud: string): number {
  const lastIndex = (pred: (h: HistoryEntry, i: number) => boolean) => {
    for (let i = history.length - 1; i >= 0; i--) if (pred(history[i]!, i)) return i;
    return -1;
  };
  const toIdx = lastIndex((h) => h.instance_id === toCloud);
  const fromIdx = lastIndex((h, i) => i < toIdx && h.instance_id === fromCloud);
  if (toIdx < 0 || fromIdx < 0) return Number.NaN;
  // Any entry in between is a moment with no (or another) instance behind the address.
  const between = history.slice(fromIdx + 1, toIdx + 1);
  const firstGap = between.find((h) => h.instance_id !== fromCloud);
  return firstGap ? Date.parse(history[toIdx]!.at) - Date.parse(firstGap.at) : 0;
}

export async function benchSwitchDowntime(dbLabel: string): Promise<void> {
  const stack = await Stack.start({ speed: SPEED, simArgs: ['--boot-delay-seconds', '20'] });
  let stream: SseStream | undefined;
  try {
    const tenant: Tenant = await stack.createTenant('bench-switch');
    stream = await stack.openStream(tenant);
    const first = await stack.startAgent(tenant, { logicalId: 'bench-eip' });
    stack.startCloudInit();
    const agentId = first.agentId;
    const allocationId = await stack.elasticIpFor(first.hostInstanceId);
    const config = await stack.api('GET', `/api/client/agents/${agentId}/config`, tenant.token);
    await stack.api('PUT', `/api/client/agents/${agentId}/config`, tenant.token, {
      mode: 'observe',
      candidate_pools: [],
      min_savings_percent: 10,
      on_rebalance: 'mark',
      on_demand_fallback: false,
      elastic_ip_allocation_id: allocationId,
      version: config.version,
    });
    const zones = ['us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1a'];
    const aws: number[] = [];
    const recorded: number[] = [];
    const total: number[] = [];
    for (let n = 0; n < SWITCHES; n++) {
      const replica = await stack.api('POST', `/api/client/agents/${agentId}/replicas`, tenant.token, {
        instance_type: n % 2 ? 'c5.large' : 'm5.large',
        availability_zone: zones[n % zones.length],
      });
      const replicaId = String(replica.instance_id);
      const ready = await eventually(
        async () => {
          const i = await stack.api('GET', `/api/client/instances/${replicaId}`, tenant.token);
          return i.status === 'RUNNING' ? i : null;
        },
        120_000,
        50,
      );
      // Warm: the replica has served as one for a moment (its agent started and polls), as a
      // stand-by does; right after it joined, the agent's own start-up added ~1.5 s here.
      await new Promise((r) => setTimeout(r, WARM_MS));
      const addrBefore = (
        (await stack.sim_('GET', '/_sim/addresses')) as unknown as Array<{
          allocation_id: string;
          instance_id: string | null;
        }>
      ).find((a) => a.allocation_id === allocationId);
      const t0 = performance.now();
      const started = await stack.api('POST', `/api/client/instances/${replicaId}/promote`, tenant.token, {});
      const done = await stream.waitFor(
        (e) =>
          (e.type === 'SWITCH_COMPLETED' || e.type === 'SWITCH_FAILED') &&
          e.data.data?.switch_id === started.switch_id,
        120_000,
      );
      total.push(done.receivedAt - t0);
      if (done.type !== 'SWITCH_COMPLETED')
        throw new Error(`switch ${n} failed: ${JSON.stringify(done.data.data)}`);
      recorded.push(Number(done.data.data?.downtime_seconds) * 1000);
      const addr = (
        (await stack.sim_('GET', '/_sim/addresses')) as unknown as Array<{
          allocation_id: string;
          history: HistoryEntry[];
        }>
      ).find((a) => a.allocation_id === allocationId)!;
      aws.push(awsGapMs(addr.history, String(addrBefore?.instance_id), String(ready.cloud_instance_id)));
    }
    const fmt = (v: number[]) => ({
      p50: Math.round(pct(v, 50)),
      p95: Math.round(pct(v, 95)),
      max: Math.round(Math.max(...v)),
    });
    console.log(
      `\n=== switch downtime with a warm replica (${dbLabel}) — ${SWITCHES} promotions (replica RUNNING ≥ ${WARM_MS} ms), server + spot-cloud-sim + agents (cloud-init) ===`,
    );
    console.table([
      { measure: 'downtime per AWS (address history gap) ms', ...fmt(aws) },
      { measure: 'downtime recorded (agent cut-over window) ms', ...fmt(recorded) },
      { measure: 'promote request → SWITCH_COMPLETED on SSE ms', ...fmt(total) },
      { measure: "seeds' target: downtime p95 < 10 s", p50: '', p95: 10_000, max: '' },
    ]);
    const p95 = Math.max(pct(aws, 95), pct(recorded, 95));
    console.log(
      `goal p95 ≤ 1000 ms: ${p95 <= 1000 ? 'met' : 'NOT met'} (${Math.round(p95)} ms, worst of AWS-measured and recorded); vs seeds' 10 s: ×${(10_000 / Math.max(1, p95)).toFixed(0)} better`,
    );
  } finally {
    stream?.close();
    await stack.stop();
  }
}
