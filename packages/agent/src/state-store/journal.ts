import { Command } from '@spot/contract';
import { z } from 'zod';

/**
 * What the agent must remember across restarts, as pure data + decisions (no I/O):
 * - commands: each command id it accepted, running or done. A command redelivered by the
 *   server (its lease ran out, or the answer to the poll was lost) is executed at most once;
 *   one still "running" when the agent stopped is resumed at the next start (its AWS calls
 *   are idempotent: RunInstances carries the command's ClientToken).
 * - instances: the ones it launched or is terminating, which the reconcile loop watches so
 *   a spot reclaim (nobody asked us to terminate) reaches the server as an external
 *   termination.
 */
const CommandEntry = z.object({
  status: z.enum(['running', 'done']),
  command: Command,
  received_at: z.string(),
  finished_at: z.string().nullable().default(null),
});
export type CommandEntry = z.infer<typeof CommandEntry>;

const TrackedInstance = z.object({
  cloud_instance_id: z.string(),
  /**
   * launching: RunInstances done, not yet running; running: confirmed; terminating: we asked
   * AWS to and the executor is waiting for it; unconfirmed: the executor gave up waiting (its
   * timeout), so the reconcile loop confirms it when EC2 finishes.
   */
  phase: z.enum(['launching', 'running', 'terminating', 'unconfirmed']),
  since: z.string(),
});
export type TrackedInstance = z.infer<typeof TrackedInstance>;

export const JournalData = z.object({
  commands: z.record(z.string(), CommandEntry).default({}),
  instances: z.record(z.string(), TrackedInstance).default({}),
});
export type JournalData = z.infer<typeof JournalData>;

export type Admission = 'execute' | 'skip-inflight' | 'skip-done';

/** Done commands remembered at most (the server never redelivers a command older than its TTL). */
export const MAX_DONE_COMMANDS = 1000;

export class Journal {
  private readonly commands: Map<string, CommandEntry>;
  private readonly instances: Map<string, TrackedInstance>;

  constructor(data: JournalData = { commands: {}, instances: {} }) {
    this.commands = new Map(Object.entries(data.commands));
    this.instances = new Map(Object.entries(data.instances));
  }

  /**
   * Whether to run a command just received. `inflight` are the ids this process is running
   * right now (a redelivery while the first execution is still busy must not start a second).
   */
  admit(commandId: string, inflight: ReadonlySet<string>): Admission {
    if (inflight.has(commandId)) return 'skip-inflight';
    const entry = this.commands.get(commandId);
    if (entry?.status === 'done') return 'skip-done';
    return 'execute';
  }

  started(command: Command, at: Date): void {
    const prev = this.commands.get(command.id);
    this.commands.set(command.id, {
      status: 'running',
      command,
      received_at: prev?.received_at ?? at.toISOString(),
      finished_at: null,
    });
  }

  finished(commandId: string, at: Date): void {
    const entry = this.commands.get(commandId);
    if (!entry) return;
    // Re-insert so Map order is completion order, oldest first: pruning drops the oldest.
    this.commands.delete(commandId);
    this.commands.set(commandId, { ...entry, status: 'done', finished_at: at.toISOString() });
    this.prune();
  }

  /** Commands accepted by an earlier run that never finished: resume them at start. */
  unfinished(): Command[] {
    return [...this.commands.values()].filter((e) => e.status === 'running').map((e) => e.command);
  }

  track(instanceId: string, cloudInstanceId: string, phase: TrackedInstance['phase'], at: Date): void {
    this.instances.set(instanceId, { cloud_instance_id: cloudInstanceId, phase, since: at.toISOString() });
  }

  untrack(instanceId: string): void {
    this.instances.delete(instanceId);
  }

  tracked(): [string, TrackedInstance][] {
    return [...this.instances.entries()];
  }

  trackedInstance(instanceId: string): TrackedInstance | undefined {
    return this.instances.get(instanceId);
  }

  toJSON(): JournalData {
    return { commands: Object.fromEntries(this.commands), instances: Object.fromEntries(this.instances) };
  }

  private prune(): void {
    const done = [...this.commands.entries()].filter(([, e]) => e.status === 'done');
    for (const [id] of done.slice(0, Math.max(0, done.length - MAX_DONE_COMMANDS))) this.commands.delete(id);
  }
}
