import { parseBootstrapUserData } from '@spot/contract';

/**
 * Plays cloud-init for the simulated cloud: every instance whose user data carries the
 * agent bootstrap (an instance the product launched) gets its own agent process once it
 * runs, started with the bootstrap's variables plus the standard AWS settings that point at
 * the simulator (its IMDS for that instance). The process is stopped when AWS takes the
 * instance, as the host's death would. Used by `npm start` and by the end-to-end tests.
 */
export interface SimInstance {
  instance_id: string;
  state: string;
  imds_endpoint: string;
  user_data: string | null;
}

export interface BootedAgent {
  stop(): Promise<void>;
}

export interface CloudInitOptions {
  simUrl: string;
  /** Starts the agent process for one instance with the environment cloud-init would give it. */
  startAgent(instance: SimInstance, env: Record<string, string>): Promise<BootedAgent>;
  /** The standard AWS settings an agent needs besides its IMDS endpoint. */
  awsEnv: Record<string, string>;
  pollMs?: number;
  log?: (message: string) => void;
}

const isGone = (state: string) => state === 'shutting-down' || state === 'terminated';

export class CloudInit {
  private readonly booted = new Map<string, BootedAgent | 'starting'>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: CloudInitOptions) {}

  /** Instance ids whose agent process is running. */
  get running(): string[] {
    return [...this.booted].filter(([, b]) => b !== 'starting').map(([id]) => id);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.pollMs ?? 250);
  }

  /**
   * An agent process started by other means on an instance (the demo's first hosts, which
   * register with the client token): it stops with its instance like the ones booted here.
   */
  adopt(instanceId: string, agent: BootedAgent): void {
    if (this.stopped) {
      void agent.stop().catch(() => {});
      return;
    }
    this.booted.set(instanceId, agent);
  }

  /** Stops watching, waits for a look in progress, then stops every agent process it holds. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await Promise.all(
      [...this.booted.values()].map((b) => (b === 'starting' ? undefined : b.stop().catch(() => {}))),
    );
    this.booted.clear();
  }

  /** One look at the cloud: boot agents on new instances, stop those whose instance is gone. */
  tick(): Promise<void> {
    if (this.ticking || this.stopped) return this.ticking ?? Promise.resolve();
    this.ticking = this.look().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async look(): Promise<void> {
    try {
      const res = await fetch(`${this.o.simUrl}/_sim/instances`);
      if (!res.ok) return;
      const body = (await res.json()) as { instances?: SimInstance[] } | SimInstance[];
      const instances = Array.isArray(body) ? body : (body.instances ?? []);
      for (const inst of instances) {
        if (this.stopped) return;
        await this.reconcile(inst);
      }
    } catch {
      // The simulator is starting or stopping: look again next tick.
    }
  }

  private async reconcile(inst: SimInstance): Promise<void> {
    const have = this.booted.get(inst.instance_id);
    const gone = isGone(inst.state);
    if (have && have !== 'starting' && gone) {
      this.booted.delete(inst.instance_id);
      this.o.log?.(`cloud-init: ${inst.instance_id} is ${inst.state}; its agent stops`);
      await have.stop().catch(() => {});
      return;
    }
    if (have || gone || inst.state !== 'running' || !inst.user_data) return;
    const boot = parseBootstrapUserData(inst.user_data);
    if (!boot) return;
    this.booted.set(inst.instance_id, 'starting');
    this.o.log?.(`cloud-init: starting the agent of ${boot.logicalId} on ${inst.instance_id}`);
    try {
      const agent = await this.o.startAgent(inst, {
        ...this.o.awsEnv,
        SPOT_SERVER_URL: boot.serverUrl,
        SPOT_JOIN_TOKEN: boot.joinToken,
        SPOT_LOGICAL_ID: boot.logicalId,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: inst.imds_endpoint,
      });
      if (this.stopped) await agent.stop();
      else this.booted.set(inst.instance_id, agent);
    } catch (err) {
      this.booted.delete(inst.instance_id);
      this.o.log?.(`cloud-init: agent on ${inst.instance_id} failed to start: ${(err as Error).message}`);
    }
  }
}
