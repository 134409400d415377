import { randomUUID } from 'node:crypto';
import type { PricingRunList, PricingRunView } from '@spot/contract';
import { sql } from 'kysely';
import type { Tx } from '../db/executor.ts';
import { DomainError } from '../domain/errors.ts';
import { consolidatePool } from '../domain/price-consolidation.ts';
import {
  finishPricingRun,
  insertPricingRun,
  listPricingRuns,
  type PricingRunRow,
  replaceConsolidated,
  type StagedPoolRow,
  stagedSince,
  tryAdvisoryXactLock,
} from '../repositories/price-consolidated.ts';
import { iso, isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import { inTransaction } from './unit-of-work.ts';

/** Raw staging rows are kept this long (the seeds' rolling window); consolidated rows stay. */
export const STAGING_RETENTION_MS = 7 * 24 * 3_600_000;
/** Advisory lock shared by the scheduled job and the admin route: one consolidation at a time. */
export const CONSOLIDATION_LOCK_KEY = 7_311_111;

/**
 * Builds the consolidated tier from staging: per pool, the step-function series with gaps
 * interpolated and every point flagged. Each run is recorded with its counts; a run that fails
 * keeps its record (with the error) and nothing else it wrote.
 */
export class PriceConsolidationService {
  constructor(private readonly ctx: ServiceContext) {}

  async run(
    tx: Tx,
    trigger: PricingRunView['trigger'],
    windowMs = STAGING_RETENTION_MS,
  ): Promise<PricingRunRow> {
    const now = this.ctx.now();
    const id = randomUUID();
    const windowStart = new Date(now.getTime() - windowMs);
    await insertPricingRun(tx, { id, trigger, started_at: now, window_start: windowStart });
    // The work runs under a savepoint so that a failure is recorded, not rolled back with the run.
    await sql`SAVEPOINT consolidation`.execute(tx);
    try {
      const counts = await this.consolidate(tx, id, windowStart);
      await sql`RELEASE SAVEPOINT consolidation`.execute(tx);
      return finishPricingRun(tx, id, { finished_at: this.ctx.now(), ...counts });
    } catch (err) {
      await sql`ROLLBACK TO SAVEPOINT consolidation`.execute(tx);
      this.ctx.log.error({ err, run_id: id }, 'price consolidation failed');
      return finishPricingRun(tx, id, {
        finished_at: this.ctx.now(),
        error: (err instanceof Error ? err.message : String(err)).slice(0, 500),
      });
    }
  }

  private async consolidate(tx: Tx, runId: string, since: Date) {
    const { gapMs, stepMs } = this.ctx.timings.pricing;
    const rows = await stagedSince(tx, since);
    const counts = { pools: 0, points_read: rows.length, points_written: 0, gaps_found: 0, interpolated: 0 };
    for (const pool of groupByPool(rows)) {
      const first = pool[0]!;
      const last = pool[pool.length - 1]!;
      const result = consolidatePool(
        pool.map((r) => ({ at: new Date(r.observed_at).getTime(), price: Number(r.spot_price) })),
        { gapMs, stepMs },
      );
      counts.pools++;
      counts.gaps_found += result.gaps;
      counts.interpolated += result.interpolated;
      counts.points_written += await replaceConsolidated(
        tx,
        {
          client_id: first.client_id,
          instance_type: first.instance_type,
          availability_zone: first.availability_zone,
          region: pool.find((r) => r.region)?.region ?? null,
        },
        new Date(first.observed_at),
        new Date(last.observed_at),
        result.points,
        runId,
      );
    }
    return counts;
  }

  /**
   * A run asked for by an admin, in its own transaction under the job's lock (the scheduled
   * run and this one never overlap: a second is refused with CONFLICT).
   */
  async runNow(windowMs: number): Promise<PricingRunRow> {
    return inTransaction(this.ctx, async (tx) => {
      if (!(await tryAdvisoryXactLock(tx, CONSOLIDATION_LOCK_KEY))) {
        throw new DomainError('CONFLICT', 'a price consolidation is already running');
      }
      return this.run(tx, 'admin', windowMs);
    });
  }

  async list(limit: number): Promise<PricingRunList> {
    return { runs: (await listPricingRuns(this.ctx.db.kysely, limit)).map(toPricingRunView) };
  }
}

function* groupByPool(rows: StagedPoolRow[]): Generator<StagedPoolRow[]> {
  let group: StagedPoolRow[] = [];
  for (const r of rows) {
    const head = group[0];
    if (
      head &&
      (head.client_id !== r.client_id ||
        head.instance_type !== r.instance_type ||
        head.availability_zone !== r.availability_zone)
    ) {
      yield group;
      group = [];
    }
    group.push(r);
  }
  if (group.length > 0) yield group;
}

export function toPricingRunView(r: PricingRunRow): PricingRunView {
  return {
    run_id: r.id,
    trigger: r.trigger as PricingRunView['trigger'],
    started_at: isoRequired(r.started_at),
    finished_at: iso(r.finished_at),
    window_start: isoRequired(r.window_start),
    pools: Number(r.pools),
    points_read: Number(r.points_read),
    points_written: Number(r.points_written),
    gaps_found: Number(r.gaps_found),
    backfilled: Number(r.backfilled),
    interpolated: Number(r.interpolated),
    error: r.error,
  };
}
