import type { AgentList, InstanceList } from '@spot/contract';
import { requestJson } from './http-json.ts';

export interface Pool {
  instance_type: string;
  availability_zone: string;
}

/**
 * Plays the operator in the demo so a new user sees a live fleet: it keeps each agent at a
 * couple of instances (launching into a random candidate pool) and now and then retires
 * the oldest one. Interruptions come from the simulator, not from here.
 */
export class FleetDriver {
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;

  constructor(
    private readonly serverUrl: string,
    private readonly clientToken: string,
    private readonly pools: Pool[],
    private readonly log: (msg: string) => void,
    private readonly perAgent = 2,
    private readonly everyMs = 4000,
  ) {}

  start(): void {
    this.timer = setInterval(
      () => void this.step().catch((err) => this.log(`driver: ${(err as Error).message}`)),
      this.everyMs,
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private api<T>(method: string, path: string, body?: unknown): Promise<T> {
    return requestJson<T>(`${this.serverUrl}${path}`, {
      method,
      token: this.clientToken,
      ...(body ? { body, idempotencyKey: crypto.randomUUID() } : {}),
    });
  }

  private async step(): Promise<void> {
    this.tick++;
    const { agents } = await this.api<AgentList>('GET', '/api/client/agents');
    const { instances } = await this.api<InstanceList>('GET', '/api/client/instances');
    for (const agent of agents.filter((a) => a.status === 'online')) {
      const mine = instances.filter((i) => i.agent_id === agent.agent_id && i.status !== 'FAILED');
      const busy = mine.some((i) => i.status === 'LAUNCHING' || i.status === 'TERMINATING');
      if (busy) continue;
      if (mine.length < this.perAgent) {
        const pool = this.pools[Math.floor(Math.random() * this.pools.length)]!;
        await this.api('POST', '/api/client/instances/launch', { agent_id: agent.agent_id, ...pool });
      } else if (this.tick % 20 === 0) {
        // Retire the oldest running replica now and then, so terminations show too.
        const oldest = mine
          .filter((i) => i.status === 'RUNNING' && i.role === 'REPLICA')
          .sort((a, b) => a.created_at.localeCompare(b.created_at))[0];
        if (oldest) {
          await this.api('POST', `/api/client/instances/${oldest.instance_id}/terminate`, {
            reason: 'demo rotation',
          });
        }
      }
    }
  }
}
