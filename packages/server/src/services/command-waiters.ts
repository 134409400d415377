import type { Db } from '../db/database.ts';
import { COMMANDS_CHANNEL } from '../repositories/commands.ts';

/**
 * Long-poll wake-ups: an agent's pending-commands request parks here until a NOTIFY for
 * its agent id (from any replica) or its timeout. Waking only re-runs the claim query, so
 * a spurious wake is harmless.
 */
export class CommandWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();
  private stopListening: (() => Promise<void>) | null = null;

  constructor(private readonly db: Db) {}

  async start(): Promise<void> {
    this.stopListening = await this.db.listen(COMMANDS_CHANNEL, (agentId) => {
      if (agentId === '') {
        // Listener reconnected: we may have missed wake-ups, so wake everyone.
        for (const set of this.waiters.values()) for (const w of set) w();
        return;
      }
      for (const w of this.waiters.get(agentId) ?? []) w();
    });
  }

  async stop(): Promise<void> {
    await this.stopListening?.();
    for (const set of this.waiters.values()) for (const w of set) w();
  }

  /** Register before claiming, so a command queued between claim and wait still wakes us. */
  register(agentId: string): { wait(ms: number, signal?: AbortSignal): Promise<void>; cancel(): void } {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let set = this.waiters.get(agentId);
    if (!set) {
      set = new Set();
      this.waiters.set(agentId, set);
    }
    set.add(wake);
    const cancel = () => {
      set.delete(wake);
      if (set.size === 0 && this.waiters.get(agentId) === set) this.waiters.delete(agentId);
    };
    return {
      async wait(ms, signal) {
        let timer: NodeJS.Timeout | undefined;
        const onAbort = () => wake();
        signal?.addEventListener('abort', onAbort, { once: true });
        await Promise.race([woken, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        cancel();
      },
      cancel,
    };
  }
}
