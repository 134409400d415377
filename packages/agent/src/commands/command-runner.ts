import type { Command } from '@spot/contract';
import type { Journal } from '../state-store/journal.ts';
import type { Logger } from '../util/logger.ts';
import type { CommandContext } from './context.ts';
import { executeLaunch } from './launch.ts';
import { executePromote } from './promote.ts';
import { executeTerminate } from './terminate.ts';

type Executor = (command: Command, ctx: CommandContext) => Promise<void>;

/** Every command type has its executor: a new type in the contract fails the build here. */
const EXECUTORS: Record<Command['command_type'], Executor> = {
  LAUNCH_INSTANCE: executeLaunch,
  TERMINATE_INSTANCE: executeTerminate,
  PROMOTE_REPLICA: executePromote,
};

/**
 * Runs commands concurrently (two launches need not wait for each other's boot), each at
 * most once: the journal admits a command id once, and remembers it across restarts.
 */
export class CommandRunner {
  private readonly inflight = new Map<string, Promise<void>>();
  private accepting = true;

  constructor(
    private readonly ctx: CommandContext,
    private readonly journal: Journal,
    private readonly log: Logger,
  ) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Takes commands from a poll; returns the ids actually started. */
  async accept(commands: Command[]): Promise<string[]> {
    const started: string[] = [];
    for (const command of commands) {
      if (!this.accepting) break;
      const admission = this.journal.admit(command.id, new Set(this.inflight.keys()));
      if (admission !== 'execute') {
        this.log.info({ command_id: command.id, admission }, 'command redelivered: not executed again');
        continue;
      }
      this.journal.started(command, this.ctx.now());
      await this.ctx.saveJournal();
      this.start(command);
      started.push(command.id);
    }
    return started;
  }

  /** Commands an earlier run accepted but did not finish: run them again (their AWS calls are idempotent). */
  async resume(): Promise<void> {
    for (const command of this.journal.unfinished()) {
      if (this.inflight.has(command.id)) continue;
      this.log.info(
        { command_id: command.id, command_type: command.command_type },
        'resuming a command from the previous run',
      );
      this.start(command);
    }
  }

  /** Stops taking commands and waits (at most `timeoutMs`) for the ones in flight. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    if (this.inflight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = Promise.allSettled([...this.inflight.values()]).then(() => true);
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ok = await Promise.race([done, late]);
    clearTimeout(timer);
    return ok;
  }

  private start(command: Command): void {
    const log = this.log.child({ command_id: command.id, command_type: command.command_type });
    log.info({ request_id: command.request_id }, 'executing command');
    const run = this.execute(command)
      .then(async () => {
        this.journal.finished(command.id, this.ctx.now());
        await this.ctx.saveJournal();
      })
      .catch((err: Error) => {
        // Left "running" in the journal: the next start resumes it.
        if (err.message === 'aborted') log.info('command interrupted by shutdown; resumes at next start');
        else log.error({ err: err.message }, 'command execution failed unexpectedly; resumes at next start');
      })
      .finally(() => this.inflight.delete(command.id));
    this.inflight.set(command.id, run);
  }

  private async execute(command: Command): Promise<void> {
    await EXECUTORS[command.command_type](command, this.ctx);
  }
}
