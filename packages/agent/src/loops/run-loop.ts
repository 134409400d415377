import { abortableSleep, backoffDelay } from '../util/backoff.ts';
import type { Logger } from '../util/logger.ts';

/**
 * Runs `task` now and then every `intervalMs` until `signal` aborts. Each loop is isolated:
 * an error is logged and the loop carries on (after a backoff when errors repeat), so a
 * failing pricing call can never stop heartbeats or commands, nor kill the process.
 */
export async function runLoop(opts: {
  name: string;
  intervalMs: number;
  signal: AbortSignal;
  log: Logger;
  task: (signal: AbortSignal) => Promise<void>;
  /** Cap of the error backoff; defaults to the interval (a failing loop never polls faster than normal). */
  maxBackoffMs?: number;
}): Promise<void> {
  let failures = 0;
  while (!opts.signal.aborted) {
    let delay = opts.intervalMs;
    try {
      await opts.task(opts.signal);
      failures = 0;
    } catch (err) {
      if (opts.signal.aborted) break;
      failures++;
      const cap = Math.max(opts.intervalMs, opts.maxBackoffMs ?? opts.intervalMs);
      delay = Math.max(
        opts.intervalMs,
        backoffDelay(failures, { baseMs: opts.intervalMs, capMs: cap }, Math.random),
      );
      const log =
        failures === 1 || failures % 10 === 0 ? opts.log.warn.bind(opts.log) : opts.log.debug.bind(opts.log);
      log({ loop: opts.name, failures, err: (err as Error).message }, `${opts.name} failed; carrying on`);
    }
    await abortableSleep(delay, opts.signal);
  }
}
