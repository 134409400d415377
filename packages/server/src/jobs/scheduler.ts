import type { JobDeps, JobName } from './catalog.ts';
import { everyOf, JOBS, runJobOnce } from './catalog.ts';

/** Runs every job of the catalog on its interval; a run never overlaps the previous one. */
export class JobScheduler {
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: JobDeps) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runDue().finally(() => {
        this.running = null;
      });
    }, this.deps.ctx.timings.jobIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await Promise.all(this.soon.values());
  }

  private readonly soon = new Map<JobName, Promise<void>>();

  /**
   * Runs a job now, outside its interval (e.g. auto-switch after a candidate pool's price
   * changed). Requests while one is pending coalesce into it. Only while the scheduler runs.
   */
  runSoon(name: JobName): void {
    if (!this.timer || this.soon.has(name)) return;
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => runJobOnce(name, this.deps))
      .then(
        (n) => {
          if (n) this.deps.ctx.log.info({ job: name, affected: n }, 'job ran (on demand)');
        },
        (err) => this.deps.ctx.log.error({ job: name, err }, 'job failed'),
      )
      .finally(() => this.soon.delete(name));
    this.soon.set(name, run);
  }

  private async runDue(): Promise<void> {
    this.tick++;
    for (const name of Object.keys(JOBS) as JobName[]) {
      if (this.tick % everyOf(name, this.deps) !== 0) continue;
      try {
        const n = await runJobOnce(name, this.deps);
        if (n) this.deps.ctx.log.info({ job: name, affected: n }, 'job ran');
      } catch (err) {
        this.deps.ctx.log.error({ job: name, err }, 'job failed');
      }
    }
  }
}
