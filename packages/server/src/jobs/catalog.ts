import { sql } from 'kysely';
import type { Tx } from '../db/executor.ts';
import { revokeTokensOfEndedInstances } from '../repositories/agent-tokens.ts';
import { lockAgentRow } from '../repositories/agents.ts';
import { expireCommands } from '../repositories/commands.ts';
import { deleteEventsBefore } from '../repositories/events-outbox.ts';
import { listStuck, lockInstance } from '../repositories/instances.ts';
import { deleteStagedBefore } from '../repositories/pool-prices.ts';
import type { AgentService } from '../services/agent-service.ts';
import type { ServiceContext } from '../services/context.ts';
import type { DecisionService } from '../services/decision-service.ts';
import type { FleetKeeper } from '../services/fleet-keeper.ts';
import {
  CONSOLIDATION_LOCK_KEY,
  type PriceConsolidationService,
  STAGING_RETENTION_MS,
} from '../services/price-consolidation.ts';
import type { SavingsRollup } from '../services/savings-rollup.ts';
import type { SwitchCoordinator } from '../services/switch-coordinator.ts';
import { applyTransition } from '../services/transition.ts';
import { inTransaction } from '../services/unit-of-work.ts';

/**
 * An agent token outlives its instance's termination by this much: the agent's last reports
 * (its own termination, a command result) are in long before; after it, the token is revoked.
 */
export const AGENT_TOKEN_AFTER_END_MS = 3_600_000;
const AGENT_TOKENS_REVOKED_PER_PASS = 1_000;

export interface JobDeps {
  ctx: ServiceContext;
  agents: AgentService;
  switches: SwitchCoordinator;
  keeper: FleetKeeper;
  decisions: DecisionService;
  pricing: PriceConsolidationService;
  rollup: SavingsRollup;
}

interface JobTiming {
  /** Advisory lock key: one replica runs the job at a time. */
  lockKey: number;
  /** Interval as a multiple of JOB_INTERVAL_SECONDS (already time-scaled), or derived from the timings. */
  every: number | ((deps: JobDeps) => number);
}

/** A fleet-wide job: runs in one transaction under a singleton advisory lock. */
export interface FleetJob extends JobTiming {
  run(tx: Tx, deps: JobDeps): Promise<number>;
}

/**
 * A job that visits workloads one by one: the list is taken under the singleton lock, then
 * each workload's step runs in its own transaction, so one workload failing (a bug, a
 * constraint) rolls back only its own writes and events and the pass goes on, and a long
 * pass never holds every workload's row lock at once. Steps lock their agent row with SKIP
 * LOCKED and re-check their conditions, so a step racing another process's is harmless.
 */
export interface WorkloadJob extends JobTiming {
  workloads(tx: Tx, deps: JobDeps): Promise<string[]>;
  /** Counts 1 when the step acted. */
  step(tx: Tx, deps: JobDeps, item: string): Promise<number | boolean>;
}

export type JobDefinition = FleetJob | WorkloadJob;

/**
 * The catalog of scheduled jobs. Its type is the list of names, so a job without a
 * definition, or with two, does not compile.
 */
export const JOBS = {
  /** Agents that missed their heartbeats go offline, and their RUNNING instances with them. */
  'heartbeat-monitor': {
    lockKey: 7_311_101,
    every: 1,
    run: (tx, { agents }) => agents.markSilentAgentsOffline(tx),
  },
  /** LAUNCHING or TERMINATING past its timeout becomes FAILED, with an event and the reason. */
  'stuck-transitions': {
    lockKey: 7_311_102,
    every: 1,
    async run(tx, deps) {
      const { ctx } = deps;
      const now = ctx.now();
      let n = 0;
      for (const [status, timeoutMs, code] of [
        ['LAUNCHING', ctx.timings.launchTimeoutMs, 'LaunchTimeout'],
        ['TERMINATING', ctx.timings.terminateTimeoutMs, 'TerminateTimeout'],
      ] as const) {
        for (const stuck of await listStuck(tx, status, new Date(now.getTime() - timeoutMs))) {
          await lockAgentRow(tx, stuck.agent_id);
          const locked = await lockInstance(tx, stuck.id);
          if (!locked || locked.status !== status) continue;
          const message = `no confirmation within ${Math.round(timeoutMs / 1000)} s`;
          await applyTransition(
            tx,
            locked,
            status === 'LAUNCHING'
              ? {
                  type: 'fail_launch',
                  error_code: code,
                  message,
                  at: now,
                  source: 'backend',
                  reason: 'timeout',
                }
              : { type: 'fail_terminate', error_code: code, message, at: now, source: 'backend' },
            'system:stuck-transitions',
          );
          // A switch waiting on this instance learns it is lost.
          await deps.switches.onInstanceChanged(tx, locked.id);
          n++;
        }
      }
      return n;
    },
  },
  /** A switch that has not completed within its timeout fails; the old primary keeps serving. */
  'switch-timeouts': {
    lockKey: 7_311_105,
    every: 1,
    run: (tx, { keeper }) => keeper.failStuckSwitches(tx),
  },
  /** Former primaries whose termination was lost are terminated. */
  'zombie-reaper': {
    lockKey: 7_311_106,
    every: 2,
    run: (tx, { keeper }) => keeper.reapZombies(tx),
  },
  /** manual_replica workloads keep exactly one replica, recreated when lost. */
  'replica-keeper': {
    lockKey: 7_311_107,
    every: 1,
    workloads: (tx, { keeper }) => keeper.replicaWorkloads(tx),
    step: (tx, { keeper }, agentId) => keeper.keepReplica(tx, agentId),
  },
  /** Replicas pre-warmed for rebalance recommendations no notice followed are retired. */
  'rebalance-replica-retirement': {
    lockKey: 7_311_108,
    every: 6,
    run: (tx, { keeper }) => keeper.retireRebalanceReplicas(tx),
  },
  /** Workloads that fell back to on-demand return to spot when an acceptable pool is back. */
  'return-to-spot': {
    lockKey: 7_311_109,
    every: 2,
    workloads: (tx, { keeper }) => keeper.onDemandFallbacks(tx),
    step: (tx, { keeper }, agentId) => keeper.returnOneToSpot(tx, agentId),
  },
  /**
   * auto_switch workloads: the decision engine is asked about each (RUNNING primary, no open
   * switch), every decision recorded, and a switch ordered when the answer is to move. Every
   * DECISION_INTERVAL_SECONDS, and on demand when a candidate pool's price changes.
   */
  'auto-switch': {
    lockKey: 7_311_110,
    every: ({ ctx }) => Math.max(1, Math.round(ctx.timings.decisionIntervalMs / ctx.timings.jobIntervalMs)),
    workloads: (tx, { decisions }) => decisions.autoSwitchWorkloads(tx),
    step: (tx, { decisions }, agentId) => decisions.autoSwitchOne(tx, agentId),
  },
  /**
   * Staging → consolidated tier: per pool, the step-function series with gaps interpolated and
   * every point flagged; each run recorded in pricing_runs. Every
   * PRICE_CONSOLIDATION_INTERVAL_SECONDS (default 12 h), and on demand from the admin route.
   */
  'price-consolidation': {
    lockKey: CONSOLIDATION_LOCK_KEY,
    every: ({ ctx }) =>
      Math.max(1, Math.round(ctx.timings.pricing.consolidationIntervalMs / ctx.timings.jobIntervalMs)),
    run: async (tx, { pricing }) => (await pricing.run(tx, 'schedule')).points_written,
  },
  /**
   * Savings rollup: each client's finished hours computed once and stored (hours a change
   * removed are computed again), so a savings window reads stored hours, not every price.
   */
  'savings-rollup': {
    lockKey: 7_311_111,
    every: 6,
    workloads: (tx, { rollup }) => rollup.clients(tx),
    step: (tx, { rollup }, clientId) => rollup.rollClient(tx, clientId),
  },
  'command-expiry': {
    lockKey: 7_311_103,
    every: 6,
    run: (tx, { ctx }) => expireCommands(tx, ctx.now()),
  },
  /**
   * Events, idempotency keys, sessions, decisions and raw staged prices are kept for their
   * retention window only; agent tokens for as long as their instance lives, and an hour more.
   */
  retention: {
    lockKey: 7_311_104,
    every: 60,
    async run(tx, { ctx }) {
      const now = ctx.now().getTime();
      const events = await deleteEventsBefore(tx, new Date(now - ctx.timings.eventRetentionMs));
      await tx
        .deleteFrom('idempotency_keys')
        .where('created_at', '<', new Date(now - 24 * 3_600_000))
        .execute();
      await tx.deleteFrom('sessions').where('expires_at', '<', new Date(now)).execute();
      await tx
        .deleteFrom('decisions')
        .where('created_at', '<', new Date(now - 30 * 24 * 3_600_000))
        .execute();
      // Raw staged prices keep their 7-day window; the consolidated tier keeps the history.
      await deleteStagedBefore(tx, new Date(now - STAGING_RETENTION_MS));
      const revoked = await revokeTokensOfEndedInstances(
        tx,
        new Date(now - AGENT_TOKEN_AFTER_END_MS),
        AGENT_TOKENS_REVOKED_PER_PASS,
      );
      return events + revoked;
    },
  },
} satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof JOBS;

export function everyOf(name: JobName, deps: JobDeps): number {
  const every = (JOBS[name] as JobDefinition).every;
  return typeof every === 'function' ? every(deps) : every;
}

/** Runs a job once; null when another process holds its lock. */
export async function runJobOnce(name: JobName, deps: JobDeps): Promise<number | null> {
  const job: JobDefinition = JOBS[name];
  const locked = async <T>(fn: (tx: Tx) => Promise<T>) =>
    inTransaction(deps.ctx, async (tx) => {
      const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${job.lockKey}) AS ok`.execute(
        tx,
      );
      return got.rows[0]?.ok ? { value: await fn(tx) } : null;
    });
  if ('run' in job) return (await locked((tx) => job.run(tx, deps)))?.value ?? null;
  const listed = await locked((tx) => job.workloads(tx, deps));
  if (!listed) return null;
  let n = 0;
  for (const item of listed.value) {
    try {
      const acted = await inTransaction(deps.ctx, (tx) => job.step(tx, deps, item));
      n += typeof acted === 'number' ? acted : acted ? 1 : 0;
    } catch (err) {
      deps.ctx.log.error(
        { job: name, item, err },
        'job step failed for one item: rolled back, the pass goes on',
      );
    }
  }
  return n;
}
