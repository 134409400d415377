import { join } from 'node:path';
import type { InstanceList } from '@spot/contract';
import type { Pool } from './fleet-driver.ts';
import { requestJson } from './http-json.ts';
import { type Child, startProcess } from './processes.ts';

interface SimInstance {
  instance_id: string;
  state: string;
  imds_endpoint: string;
}

interface Host {
  logicalId: string;
  instanceId: string;
  agent: Child;
  /** When the simulator first showed this host going away. */
  goneSince: number | null;
}

export interface AgentHostsOptions {
  root: string;
  simUrl: string;
  serverUrl: string;
  clientToken: string;
  region: string;
  speed: number;
  pools: Pool[];
  agentsDir: string;
  log: (m: string) => void;
}

/** How long a reclaimed host's agent gets to report its own termination before it is replaced. */
const REPORT_GRACE_MS = 20_000;

/**
 * Plays the auto-scaling group of the demo: each agent runs on a simulated *spot* host, so
 * the simulator's interruption hazard reaches a real agent (its IMDS shows the rebalance
 * recommendation and the termination notice, which it reports). When AWS has taken a host,
 * its agent process is stopped and a new host comes up in a random pool with a new agent
 * process under the same logical id and state folder — the identity survives the switch,
 * as DESIGN §3 says it must.
 */
export class AgentHosts {
  private readonly hosts = new Map<string, Host>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly o: AgentHostsOptions) {}

  async start(logicalId: string, pool: Pool): Promise<void> {
    const host = await this.sim<SimInstance>('/_sim/instances', {
      method: 'POST',
      body: { ...pool, market: 'spot', running: true, tags: { Name: logicalId } },
    });
    const { child } = await startProcess(
      logicalId,
      join(this.o.root, 'packages/agent/bin/spot-agent.js'),
      [],
      {
        SPOT_SERVER_URL: this.o.serverUrl,
        SPOT_CLIENT_TOKEN: this.o.clientToken,
        SPOT_LOGICAL_ID: logicalId,
        SPOT_POOLS: this.o.pools.map((p) => `${p.instance_type}:${p.availability_zone}`).join(','),
        SPOT_AGENT_STATE_DIR: join(this.o.agentsDir, logicalId),
        SPOT_TIME_SCALE: String(this.o.speed),
        AWS_REGION: this.o.region,
        AWS_ENDPOINT_URL_EC2: this.o.simUrl,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: host.imds_endpoint,
        AWS_ACCESS_KEY_ID: 'demo-access-key',
        AWS_SECRET_ACCESS_KEY: 'demo-secret-key',
        LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
      },
      { quiet: true },
    );
    this.hosts.set(logicalId, { logicalId, instanceId: host.instance_id, agent: child, goneSince: null });
    await this.waitRegistered(logicalId, host.instance_id, child);
  }

  /** Starts watching the hosts for reclaims. */
  watch(everyMs = 1000): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.check()
        .catch((err) => this.o.log(`hosts: ${(err as Error).message}`))
        .finally(() => {
          this.busy = false;
        });
    }, everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.hosts.values()].map((h) => h.agent.stop()));
  }

  private async check(): Promise<void> {
    for (const host of this.hosts.values()) {
      const state = (await this.sim<SimInstance>(`/_sim/instances/${host.instanceId}`)).state;
      if (state !== 'shutting-down' && state !== 'terminated') continue;
      host.goneSince ??= Date.now();
      const reported = await this.hostReported(host.instanceId);
      if (!reported && Date.now() - host.goneSince < REPORT_GRACE_MS) continue;
      this.o.log(`${host.logicalId}: host ${host.instanceId} was reclaimed; starting a replacement`);
      await host.agent.stop();
      this.hosts.delete(host.logicalId);
      const pool = this.o.pools[Math.floor(Math.random() * this.o.pools.length)]!;
      await this.start(host.logicalId, pool);
    }
  }

  /** Whether the server already shows the host's instance record as gone (the agent said so). */
  private async hostReported(cloudId: string): Promise<boolean> {
    const { instances } = await this.api<InstanceList>('/api/client/instances');
    return !instances.some((i) => i.cloud_instance_id === cloudId && i.status !== 'TERMINATED');
  }

  /** Registered means the server lists the agent on this host: asked through the API, not its log. */
  private async waitRegistered(logicalId: string, cloudId: string, child: Child): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.proc.exitCode !== null)
        throw new Error(`${logicalId} exited with code ${child.proc.exitCode}`);
      const { agents } = await this.api<{
        agents: { logical_id: string; cloud_instance_id: string | null }[];
      }>('/api/client/agents');
      if (agents.some((a) => a.logical_id === logicalId && a.cloud_instance_id === cloudId)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${logicalId} did not register within 90 s`);
  }

  private api<T>(path: string): Promise<T> {
    return requestJson<T>(`${this.o.serverUrl}${path}`, { token: this.o.clientToken });
  }

  private sim<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
    return requestJson<T>(`${this.o.simUrl}${path}`, opts);
  }
}
