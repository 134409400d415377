import { join } from 'node:path';
import type { AgentList } from '@spot/contract';
import type { SimInstance } from './cloud-init.ts';
import { requestJson } from './http-json.ts';
import { type Child, startProcess } from './processes.ts';
import { poolList } from './sim-pools.ts';
import type { WorkloadPlan } from './workloads.ts';

/** Where the demo's agent processes run and what they talk to. */
export interface AgentRuntime {
  root: string;
  simUrl: string;
  serverUrl: string;
  region: string;
  /** The simulated clock speed, given to every agent as SPOT_TIME_SCALE. */
  speed: number;
  /** Each instance's agent keeps its state in `<agentsDir>/<instance id>` (that host's disk). */
  agentsDir: string;
  log: (m: string) => void;
}

/** The standard AWS settings every agent in the demo gets: the simulator is its "AWS". */
export function demoAwsEnv(rt: AgentRuntime): Record<string, string> {
  return {
    AWS_REGION: rt.region,
    AWS_ENDPOINT_URL_EC2: rt.simUrl,
    AWS_ACCESS_KEY_ID: 'demo-access-key',
    AWS_SECRET_ACCESS_KEY: 'demo-secret-key',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  };
}

/**
 * Starts the agent process of one simulated instance (quiet, time-scaled, its own state
 * folder). An exit nobody asked for is reported with the agent's last lines.
 */
export async function startAgentProcess(
  rt: AgentRuntime,
  name: string,
  instanceId: string,
  env: Record<string, string>,
): Promise<Child> {
  const { child } = await startProcess(
    name,
    join(rt.root, 'packages/agent/bin/spot-agent.js'),
    [],
    {
      ...env,
      SPOT_AGENT_STATE_DIR: join(rt.agentsDir, instanceId),
      SPOT_TIME_SCALE: String(rt.speed),
    },
    { quiet: true },
  );
  child.proc.once('exit', (code, signal) => {
    if (child.stopping) return;
    const said = child.lastLines().slice(-5).join('\n  ');
    rt.log(
      `${name}: the agent on ${instanceId} exited (${signal ?? `code ${code}`})${said ? `:\n  ${said}` : ''}`,
    );
  });
  return child;
}

/**
 * The demo's first hosts: for each workload, one simulated *spot* instance with an agent that
 * registers with the client token, as someone installing the product by hand would. The
 * simulator's interruptions reach these agents through their IMDS. What happens to a host
 * afterwards is the product's business (and AWS's): the demo never replaces one.
 */
export class AgentHosts {
  constructor(
    private readonly rt: AgentRuntime,
    private readonly clientToken: string,
  ) {}

  /** Starts the host and its agent; resolves with both once the server lists the agent on it. */
  async start(plan: WorkloadPlan): Promise<{ instanceId: string; agentId: string; agent: Child }> {
    const host = await requestJson<SimInstance>(`${this.rt.simUrl}/_sim/instances`, {
      method: 'POST',
      body: { ...plan.pool, market: 'spot', running: true, tags: { Name: plan.logicalId } },
    });
    const agent = await startAgentProcess(this.rt, plan.logicalId, host.instance_id, {
      ...demoAwsEnv(this.rt),
      SPOT_SERVER_URL: this.rt.serverUrl,
      SPOT_CLIENT_TOKEN: this.clientToken,
      SPOT_LOGICAL_ID: plan.logicalId,
      SPOT_POOLS: poolList(plan.candidates),
      AWS_EC2_METADATA_SERVICE_ENDPOINT: host.imds_endpoint,
    });
    try {
      const agentId = await this.waitRegistered(plan.logicalId, host.instance_id, agent);
      return { instanceId: host.instance_id, agentId, agent };
    } catch (err) {
      await agent.stop();
      throw err;
    }
  }

  /** Registered means the server lists the agent on this host: asked through the API, not its log. */
  private async waitRegistered(logicalId: string, cloudId: string, child: Child): Promise<string> {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.proc.exitCode !== null) {
        const said = child.lastLines().slice(-5).join('\n');
        throw new Error(`${logicalId} exited with code ${child.proc.exitCode}${said ? `:\n${said}` : ''}`);
      }
      const { agents } = await requestJson<AgentList>(`${this.rt.serverUrl}/api/client/agents`, {
        token: this.clientToken,
      });
      const mine = agents.find((a) => a.logical_id === logicalId && a.cloud_instance_id === cloudId);
      if (mine) return mine.agent_id;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${logicalId} did not register within 90 s`);
  }
}
