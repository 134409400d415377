import type { PendingCommandsResponse } from '@spot/contract';
import { claimCommands, toCommandJson } from '../repositories/commands.ts';
import type { CommandWaiters } from './command-waiters.ts';
import type { ServiceContext } from './context.ts';

/**
 * An agent's long-poll for commands: claims what is queued for it at once, or parks until a
 * NOTIFY for it (from any replica) or the end of its wait, and claims again.
 */
export class CommandDelivery {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly waiters: CommandWaiters,
  ) {}

  async poll(
    agentId: string,
    /** The instance the polling process runs on (null: unknown). */
    instanceId: string | null,
    options: { waitMs: number; limit: number; signal: AbortSignal },
  ): Promise<PendingCommandsResponse> {
    // The wait is the transport's, in real time, whatever the product's clock.
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      // Registered before claiming, so a command queued between the claim and the wait wakes it.
      const waiter = this.waiters.register(agentId);
      const claimed = await claimCommands(
        this.ctx.db.kysely,
        agentId,
        this.ctx.timings.commandLeaseMs,
        options.limit,
        this.ctx.now(),
        instanceId,
      );
      const remaining = deadline - Date.now();
      if (claimed.length > 0 || remaining <= 0 || options.signal.aborted) {
        waiter.cancel();
        return { commands: claimed.map(toCommandJson) };
      }
      await waiter.wait(remaining, options.signal);
    }
  }
}
