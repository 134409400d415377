import type { Command } from '@spot/contract';
import type { AgentApi } from '../server-client/agent-api.ts';
import { abortableSleep, backoffDelay } from '../util/backoff.ts';
import type { Logger } from '../util/logger.ts';

/**
 * GET …/pending-commands?wait=25 in a loop: the server answers the moment a command is
 * queued, so delivery is immediate (DESIGN §2). With wait=0 it degrades to the seeds'
 * design, a plain poll every `pollMs` (kept for the benchmark's comparison).
 */
export async function runCommandPoll(opts: {
  api: AgentApi;
  waitSeconds: number;
  pollMs: number;
  signal: AbortSignal;
  log: Logger;
  accept: (commands: Command[]) => Promise<unknown>;
}): Promise<void> {
  let failures = 0;
  while (!opts.signal.aborted) {
    try {
      const { commands } = await opts.api.pendingCommands(opts.waitSeconds, opts.signal);
      failures = 0;
      if (commands.length > 0) {
        opts.log.debug({ count: commands.length }, 'commands received');
        await opts.accept(commands);
      }
      if (opts.waitSeconds === 0 && commands.length === 0) await abortableSleep(opts.pollMs, opts.signal);
    } catch (err) {
      if (opts.signal.aborted) break;
      // Server away (restart, network): back off with full jitter so a fleet does not stampede it.
      const delay = backoffDelay(failures++, { baseMs: 250, capMs: 15_000 }, Math.random);
      const log =
        failures === 1 || failures % 10 === 0 ? opts.log.warn.bind(opts.log) : opts.log.debug.bind(opts.log);
      log({ failures, retry_in_ms: delay, err: (err as Error).message }, 'command poll failed; retrying');
      await abortableSleep(delay, opts.signal);
    }
  }
}
