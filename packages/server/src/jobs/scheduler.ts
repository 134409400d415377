import type { JobDeps, JobName } from './catalog.ts';
import { JOBS, runJobOnce } from './catalog.ts';

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
    await this.running;
  }

  private async runDue(): Promise<void> {
    this.tick++;
    for (const name of Object.keys(JOBS) as JobName[]) {
      if (this.tick % JOBS[name].every !== 0) continue;
      try {
        const n = await runJobOnce(name, this.deps);
        if (n) this.deps.ctx.log.info({ job: name, affected: n }, 'job ran');
      } catch (err) {
        this.deps.ctx.log.error({ job: name, err }, 'job failed');
      }
    }
  }
}
