import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type AgentConfig,
  type AgentList,
  type HistoryResponse,
  type Instance,
  type InstanceList,
  type InterruptionList,
  parseBootstrapUserData,
} from '@spot/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../demo/src/processes.ts';
import { Proc } from '../support/process.ts';
import { eventually } from '../support/stack.ts';

/**
 * What a new user gets from `npm start`: the demo launcher (scripts/start.mjs) starts the
 * simulator, the server on embedded PGlite, one first host per workload with its agent, and
 * cloud-init for what the product launches; it puts web-1 in manual_replica behind an
 * Elastic IP and web-2 in observe. With no interruption hazard, the only thing that then
 * moves is the product keeping web-1's replica. The demo always runs on PGlite, whatever
 * TEST_DB says.
 */
const CLIENT_TOKEN = `soc_e2e_demo_${randomBytes(16).toString('hex')}`;
const SPEED = 30;
let dataDir: string;
let demo: Proc;
let url: string;
let simUrl: string;

interface SimInstance {
  instance_id: string;
  state: string;
  instance_type: string;
  availability_zone: string;
  user_data: string | null;
}
interface SimAddress {
  allocation_id: string;
  public_ip: string;
  instance_id: string | null;
  history: { instance_id: string | null; at: string }[];
}

async function api<T>(p: string): Promise<T> {
  const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } });
  if (!res.ok) throw new Error(`${p}: ${res.status}`);
  return (await res.json()) as T;
}

async function sim<T>(p: string): Promise<T> {
  const res = await fetch(`${simUrl}${p}`);
  if (!res.ok) throw new Error(`${p}: ${res.status}`);
  return (await res.json()) as T;
}

const simInstances = async () => {
  const body = await sim<{ instances: SimInstance[] } | SimInstance[]>('/_sim/instances');
  return Array.isArray(body) ? body : body.instances;
};

async function agentsByName(): Promise<Map<string, AgentList['agents'][number]>> {
  const { agents } = await api<AgentList>('/api/client/agents');
  return new Map(agents.map((a) => [a.logical_id, a]));
}

/** The process ids under `root` (Linux /proc), to check that nothing outlives the demo. */
function descendants(root: number): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const found: { pid: number; cmd: string }[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [pid, ppid] of parent) {
      if (ppid !== p) continue;
      queue.push(pid);
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {}
      found.push({ pid, cmd });
    }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'spot-demo-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  demo = new Proc('demo', 'scripts/start.mjs', [], {
    PORT: String(port),
    SPOT_DATA_DIR: dataDir,
    DEMO_SPEED: String(SPEED),
    DEMO_AGENTS: '2',
    DEMO_HAZARD_PER_HOUR: '0',
    DEMO_CLIENT_TOKEN: CLIENT_TOKEN,
  });
  await demo.waitForLine((l) => l.includes('Spot Optimizer demo is running'), 110_000);
  await demo.waitForLine((l) => l.includes('Ctrl-C stops everything'), 10_000);
  simUrl = /EC2 simulator: (http:\/\/\S+)/.exec(demo.lines.join('\n'))![1]!;
});

afterAll(async () => {
  await demo?.stop('SIGTERM', 20_000);
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints the dashboard URL, the client token it was given and the workloads in their modes', () => {
    expect(demo.lines.some((l) => l.includes(`dashboard:     ${url}/`))).toBe(true);
    expect(demo.lines.some((l) => l.includes(`client token:  ${CLIENT_TOKEN}`))).toBe(true);
    expect(demo.lines.some((l) => /web-1 .*manual_replica, Elastic IP \S+ \(eipalloc-/.test(l))).toBe(true);
    expect(demo.lines.some((l) => /web-2 .* observe; candidates: /.test(l))).toBe(true);
  });

  it('serves the dashboard and keeps the secrets file private', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const secrets = await stat(path.join(dataDir, 'demo-secrets.json'));
    expect(secrets.mode & 0o077).toBe(0);
  });

  it('brings up a live fleet: each workload online, its PRIMARY RUNNING on its simulated spot host', async () => {
    const agents = await agentsByName();
    expect([...agents.keys()].sort()).toEqual(['web-1', 'web-2']);
    const hosts = await simInstances();
    for (const agent of agents.values()) {
      expect(agent.status).toBe('online');
      expect(agent.cloud_instance_id).toMatch(/^i-[0-9a-f]{17}$/);
      const host = hosts.find((h) => h.instance_id === agent.cloud_instance_id);
      expect(host?.state).toBe('running');
      const primary = await eventually(async () => {
        const { instances } = await api<InstanceList>('/api/client/instances');
        return instances.find(
          (i) => i.agent_id === agent.agent_id && i.role === 'PRIMARY' && i.status === 'RUNNING',
        );
      }, 60_000);
      expect(primary.cloud_instance_id).toBe(agent.cloud_instance_id);
    }
  });

  it('puts web-1 in manual_replica behind an Elastic IP on its host, web-2 in observe, both with candidate pools', async () => {
    const agents = await agentsByName();
    const web1 = agents.get('web-1')!;
    const web2 = agents.get('web-2')!;
    const c1 = await api<AgentConfig>(`/api/client/agents/${web1.agent_id}/config`);
    const c2 = await api<AgentConfig>(`/api/client/agents/${web2.agent_id}/config`);
    expect(c1.mode).toBe('manual_replica');
    expect(c2.mode).toBe('observe');
    expect(c2.elastic_ip_allocation_id).toBeNull();
    for (const [agent, config] of [
      [web1, c1],
      [web2, c2],
    ] as const) {
      expect(config.candidate_pools.length).toBeGreaterThanOrEqual(2);
      expect(config.candidate_pools.length).toBeLessThanOrEqual(4);
      for (const p of config.candidate_pools) {
        // Its own type (a handful of types only in the demo), in another zone.
        expect(p.instance_type).toBe(agent.instance_type);
        expect(p.availability_zone).not.toBe(agent.availability_zone);
      }
    }
    // The address is real in "AWS": allocated, and associated with web-1's first host.
    const addresses = await sim<SimAddress[]>('/_sim/addresses');
    const eip = addresses.find((a) => a.allocation_id === c1.elastic_ip_allocation_id);
    expect(eip?.instance_id).toBe(web1.cloud_instance_id);
    expect(addresses).toHaveLength(1);
  });

  let replica: Instance;

  it("keeps web-1's replica: LAUNCHING → RUNNING in a candidate pool, where its own agent joined", async () => {
    const web1 = (await agentsByName()).get('web-1')!;
    const config = await api<AgentConfig>(`/api/client/agents/${web1.agent_id}/config`);
    replica = await eventually(async () => {
      const { instances } = await api<InstanceList>('/api/client/instances');
      return instances.find(
        (i) => i.agent_id === web1.agent_id && i.role === 'REPLICA' && i.status === 'RUNNING',
      );
    }, 90_000);
    expect(replica.cloud_instance_id).toMatch(/^i-[0-9a-f]{17}$/);
    expect(replica.cloud_instance_id).not.toBe(web1.cloud_instance_id);
    expect(config.candidate_pools).toContainEqual({
      instance_type: replica.instance_type,
      availability_zone: replica.availability_zone,
    });
    // Its history: asked for by the product (no one else), launched, then joined by its own agent.
    const joined = await eventually(async () => {
      const { events } = await api<HistoryResponse>(`/api/client/instances/${replica.instance_id}/history`);
      return events.some((e) => e.event_type === 'AGENT_JOINED') ? events : null;
    }, 60_000);
    const requested = joined.find((e) => e.to_status === 'LAUNCHING' && e.from_status === null);
    expect(requested?.metadata).toMatchObject({ actor: 'system:replica-keeper' });
    expect(joined.some((e) => e.from_status === 'LAUNCHING' && e.to_status === 'RUNNING')).toBe(true);
    const join = joined.find((e) => e.event_type === 'AGENT_JOINED')!;
    expect(join.source).toBe('agent');
    expect(join.cloud_instance_id).toBe(replica.cloud_instance_id);
    // In "AWS": a spot instance whose user data carries web-1's agent bootstrap.
    const inSim = (await simInstances()).find((h) => h.instance_id === replica.cloud_instance_id);
    expect(inSim?.state).toBe('running');
    expect(parseBootstrapUserData(inSim?.user_data ?? '')?.logicalId).toBe('web-1');
  });

  it('launches nothing else on its own with DEMO_HAZARD_PER_HOUR=0 (watched for 10 simulated minutes)', async () => {
    // What a launch or a retirement would change: the instance rows (id and role) and the
    // instances in "AWS" (id and state). Statuses may flicker on a loaded machine (OFFLINE).
    const rows = async () =>
      (await api<InstanceList>('/api/client/instances')).instances
        .map((i) => `${i.instance_id} ${i.role}${/TERMINAT|FAILED/.test(i.status) ? ` ${i.status}` : ''}`)
        .sort();
    const cloud = async () => (await simInstances()).map((h) => `${h.instance_id} ${h.state}`).sort();
    const clock = async () => Date.parse((await sim<{ sim_now: string }>('/_sim/clock')).sim_now);
    const before = { rows: await rows(), cloud: await cloud() };
    // Two first hosts and web-1's replica, nothing more, in the API and in "AWS".
    expect(before.rows).toHaveLength(3);
    expect(before.cloud).toHaveLength(3);
    expect(before.cloud.every((c) => c.endsWith(' running'))).toBe(true);
    // Looked at again and again, not only at the end, so a launch and its clean-up cannot hide.
    const start = await clock();
    let looks = 0;
    while ((await clock()) - start < 10 * 60_000) {
      expect({ rows: await rows(), cloud: await cloud() }).toEqual(before);
      looks++;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect({ rows: await rows(), cloud: await cloud() }).toEqual(before);
    expect(looks).toBeGreaterThan(3);
    const { interruptions } = await api<InterruptionList>('/api/client/interruptions');
    expect(interruptions).toEqual([]);
    // The Elastic IP never moved: one association, web-1's first host.
    const addresses = await sim<SimAddress[]>('/_sim/addresses');
    expect(addresses[0]!.history).toHaveLength(1);
  });

  it('reports an interruption of a host: the agent on it reads the notice from its IMDS', async () => {
    const web2 = (await agentsByName()).get('web-2')!;
    const interrupt = await fetch(`${simUrl}/_sim/instances/${web2.cloud_instance_id}/interrupt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notice_seconds: 120 }),
    });
    expect(interrupt.status).toBe(200);
    await eventually(async () => {
      const { interruptions } = await api<InterruptionList>('/api/client/interruptions');
      return interruptions.some(
        (i) => i.kind === 'termination_notice' && i.cloud_instance_id === web2.cloud_instance_id,
      );
    }, 60_000);
  });

  it('stops every process it started on SIGTERM', async () => {
    expect((await fetch(`${simUrl}/_sim/clock`)).status).toBe(200);
    const procfs = existsSync('/proc/self/stat') && demo.pid !== undefined;
    const started = procfs ? descendants(demo.pid!) : [];
    if (procfs) {
      // The simulator, the server, and at least web-1's two agents (its host's and its replica's).
      expect(started.some((p) => p.cmd.includes('spot-cloud-sim'))).toBe(true);
      expect(started.some((p) => p.cmd.includes('spot-optimizer.js serve'))).toBe(true);
      expect(started.filter((p) => p.cmd.includes('spot-agent')).length).toBeGreaterThanOrEqual(2);
    }
    const code = await demo.stop('SIGTERM', 30_000);
    expect(code).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await expect(fetch(`${simUrl}/_sim/clock`)).rejects.toThrow();
    if (procfs) {
      const left = await eventually(async () => {
        const still = started.filter((p) => alive(p.pid));
        return still.length === 0 ? still : null;
      }, 15_000).catch(() => started.filter((p) => alive(p.pid)));
      expect(left).toEqual([]);
    }
  });
});
