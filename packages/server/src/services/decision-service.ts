import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CommandPriority,
  type DecisionInput,
  type DecisionList,
  type DecisionMadeData,
  type DecisionOutput,
  type DecisionView,
  type Market,
  type SwitchTrigger,
} from '@spot/contract';
import type { Tx } from '../db/executor.ts';
import { createRulesEngine, type DecisionEngine, runEngine } from '../domain/decision-engine.ts';
import { type AnsweredResult, runWithFallback } from '../domain/model-engine.ts';
import type { Metrics } from '../http/metrics.ts';
import { type AgentConfigRow, getAgentConfig, listAgentsInMode } from '../repositories/agent-configs.ts';
import { type DecisionRow, insertDecision, listDecisions } from '../repositories/decisions.ts';
import { appendEvent } from '../repositories/events-outbox.ts';
import { isUuid } from '../repositories/ids.ts';
import type { InstanceRow } from '../repositories/instances.ts';
import { listAgentInstancesIn } from '../repositories/instances.ts';
import { noticedInstanceIds } from '../repositories/interruptions.ts';
import { ondemandPrice, poolPrice } from '../repositories/pool-prices.ts';
import { findOpenSwitchForAgent } from '../repositories/switches.ts';
import { isoRequired } from '../views/time.ts';
import type { CanonicalPoolFeatures, CanonicalPrices } from './canonical-prices.ts';
import type { ServiceContext } from './context.ts';
import type { ModelRegistry } from './model-registry.ts';
import { candidateFeatures } from './pool-facts.ts';
import type { SwitchCoordinator } from './switch-coordinator.ts';

/** How far back (cloud time) a decision looks at prices, switches and interruptions. */
const LOOKBACK_SECONDS = 6 * 3600;
const RECENT_SECONDS = 24 * 3600;
/** Seconds both instances are billed during a switch (the switch's cost in the policy). */
const OVERLAP_SECONDS = 300;

type DecisionMetrics = Pick<
  Metrics,
  'decisions' | 'decisionContractViolations' | 'decisionLatency' | 'modelFallbacks'
>;

/**
 * auto_switch: gathers what the engine needs about a workload (its config, primary's pool and
 * price, candidate pools with their recent prices and volatility, recent switches and
 * interruptions), asks the engine through its checked interface, records every decision
 * (table + DECISION_MADE) and orders the switch when the answer is to move.
 */
export class DecisionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly switches: SwitchCoordinator,
    private readonly metrics?: DecisionMetrics,
    private readonly engine: DecisionEngine = createRulesEngine(),
    /** The model registry: a client's active model is asked first (the rules stand in when it fails). */
    private readonly models?: Pick<ModelRegistry, 'engineFor' | 'options'>,
  ) {}

  /** The workloads an auto-switch pass visits (each then decided in its own transaction). */
  async autoSwitchWorkloads(tx: Tx): Promise<string[]> {
    return (await listAgentsInMode(tx, 'auto_switch')).map((c) => c.agent_id);
  }

  /** One workload's step of the pass: decides when it is still in auto_switch; true when a decision was recorded. */
  async autoSwitchOne(tx: Tx, agentId: string): Promise<boolean> {
    const config = await getAgentConfig(tx, agentId);
    if (config?.mode !== 'auto_switch') return false;
    return (await this.decideFor(tx, config)) !== null;
  }

  /** Decides for one workload when it has a RUNNING primary and no open switch; null otherwise. */
  async decideFor(tx: Tx, config: AgentConfigRow): Promise<DecisionRow | null> {
    const agent = await tx
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', config.agent_id)
      .forNoKeyUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!agent) return null;
    if (await findOpenSwitchForAgent(tx, agent.id)) return null;
    const doomed = await noticedInstanceIds(tx, agent.id);
    const primary = (await listAgentInstancesIn(tx, agent.id, ['RUNNING'])).find(
      (i) => i.role === 'PRIMARY' && !doomed.has(i.id),
    );
    if (!primary) return null;

    const input = await this.gather(tx, agent.client_id, agent.region, config, primary);
    const started = performance.now();
    const model = await this.models?.engineFor(tx, agent.client_id);
    const result: AnsweredResult = model
      ? await runWithFallback(model.engine, this.engine, input, this.models!.options)
      : { ...runEngine(this.engine, input), policy: this.engine.name, fallback: null };
    const latencyMs = performance.now() - started;
    const policy = result.policy;
    this.metrics?.decisionLatency.observe({ policy }, latencyMs / 1000);
    this.metrics?.decisions.inc({ policy, action: result.output.action });
    if (model && result.fallback) {
      this.metrics?.modelFallbacks.inc({ model: model.engine.name, reason: result.fallback.reason });
      this.ctx.log.warn(
        { agent_id: agent.id, model: model.engine.name, model_id: model.modelId, ...result.fallback },
        'model failed: the rules answered',
      );
    }
    if (result.violation) {
      this.metrics?.decisionContractViolations.inc({ policy, side: result.violation.side });
      this.ctx.log.warn(
        { agent_id: agent.id, policy, side: result.violation.side, error: result.violation.message },
        'decision contract violated: staying',
      );
    }

    let switchId: string | null = null;
    const out = result.output;
    if (out.action === 'switch') {
      const trigger: SwitchTrigger = 'decision';
      const { row } = await this.switches.start(tx, {
        clientId: agent.client_id,
        agent,
        trigger,
        source: primary,
        target: {
          kind: 'launch',
          instanceType: out.target.instance_type,
          availabilityZone: out.target.availability_zone,
          market: 'spot',
        },
        priority: out.urgent ? CommandPriority.DECISION_URGENT : CommandPriority.DECISION_NORMAL,
        reason: out.reason.slice(0, 200),
        requestId: randomUUID(),
        actor: `system:decision:${policy}`,
      });
      switchId = row.id;
    }

    const row = await insertDecision(tx, {
      id: randomUUID(),
      client_id: agent.client_id,
      agent_id: agent.id,
      policy,
      model_id: model?.modelId ?? null,
      fallback: result.fallback?.reason ?? null,
      valid: result.violation === null,
      error: result.violation ? `${result.violation.side}: ${result.violation.message}` : null,
      input,
      output: out,
      action: out.action,
      latency_ms: latencyMs,
      switch_id: switchId,
      created_at: this.ctx.now(),
    });
    const { input: _omitted, ...made } = toDecisionView(row);
    await appendEvent(tx, agent.client_id, 'DECISION_MADE', made satisfies DecisionMadeData);
    return row;
  }

  /** The canonical tier's cache that gather reads through (set at wiring; read uncached without it). */
  canonical: CanonicalPrices | null = null;

  /** The engine's input for a workload, as the contract defines it (validated by the engine's wrapper). */
  async gather(
    tx: Tx,
    clientId: string,
    agentRegion: string | null,
    config: AgentConfigRow,
    primary: InstanceRow,
  ): Promise<DecisionInput> {
    const now = this.ctx.now();
    const d = this.ctx.timings.decision;
    const since = new Date(now.getTime() - (LOOKBACK_SECONDS * 1000) / d.timeScale);
    const recentSince = new Date(now.getTime() - (RECENT_SECONDS * 1000) / d.timeScale);
    const region = primary.region ?? agentRegion;
    const currentSpot =
      primary.market === 'spot' && primary.availability_zone
        ? { instance_type: primary.instance_type, availability_zone: primary.availability_zone }
        : null;
    // Candidates and the current pool from the canonical tier, in one batch of queries.
    const { candidates: facts, extra } = await candidateFeatures(tx, {
      clientId,
      config,
      instanceType: primary.instance_type,
      region,
      now,
      windowMs: now.getTime() - since.getTime(),
      timeScale: d.timeScale,
      canonical: this.canonical,
      extra: currentSpot ? [currentSpot] : [],
    });
    const history = (f: CanonicalPoolFeatures) =>
      f.history.map((p) => ({ at: isoRequired(p.at), price: p.price }));
    const candidates = facts.map((f) => ({
      instance_type: f.instance_type,
      availability_zone: f.availability_zone,
      spot_price: f.spot_price,
      ondemand_price: f.ondemand_price,
      unavailable: f.unavailable,
      volatility: f.volatility,
      history: history(f),
      seconds_since_change: f.seconds_since_change,
      interruptions_seen: f.interruptions_seen,
      last_interruption_at: f.last_interruption_at ? isoRequired(f.last_interruption_at) : null,
      advisor_bucket: f.advisor_bucket,
    }));
    const current = extra[0];
    const switches = await tx
      .selectFrom('switches')
      .select(['requested_at', 'trigger', 'status'])
      .where('agent_id', '=', primary.agent_id)
      .where('requested_at', '>', recentSince)
      .orderBy('requested_at', 'desc')
      .limit(20)
      .execute();
    const interruptions = await tx
      .selectFrom('interruptions')
      .select(['detected_at', 'kind'])
      .where('agent_id', '=', primary.agent_id)
      .where('detected_at', '>', recentSince)
      .orderBy('detected_at', 'desc')
      .limit(20)
      .execute();
    return {
      agent_id: primary.agent_id,
      now: now.toISOString(),
      time_scale: d.timeScale,
      config: {
        mode: config.mode as DecisionInput['config']['mode'],
        min_savings_percent: Number(config.min_savings_percent),
      },
      current: {
        instance_type: primary.instance_type,
        availability_zone: primary.availability_zone,
        market: primary.market as Market,
        price: current
          ? current.spot_price
          : await poolPrice(tx, clientId, {
              instance_type: primary.instance_type,
              availability_zone: primary.availability_zone,
              market: primary.market,
              region,
            }),
        ondemand_price: current
          ? current.ondemand_price
          : await ondemandPrice(tx, region, primary.instance_type),
        history: current ? history(current) : [],
      },
      candidates,
      recent_switches: switches.reverse().map((s) => ({
        at: isoRequired(s.requested_at),
        trigger: s.trigger as SwitchTrigger,
        status: s.status as 'IN_PROGRESS' | 'COMPLETED' | 'FAILED',
      })),
      recent_interruptions: interruptions
        .reverse()
        .map((i) => ({ at: isoRequired(i.detected_at), kind: i.kind })),
      settings: {
        min_switch_interval_seconds: d.minSwitchIntervalSeconds,
        confirm_seconds: d.confirmSeconds,
        overlap_seconds: OVERLAP_SECONDS,
        urgent_saving_percent: d.urgentSavingPercent,
      },
    };
  }

  async list(clientId: string, q: { agent_id?: string; limit: number }): Promise<DecisionList> {
    // A malformed agent id is an unknown one: no decisions, not an error.
    if (q.agent_id && !isUuid(q.agent_id)) return { decisions: [] };
    const rows = await listDecisions(this.ctx.db.kysely, clientId, {
      ...(q.agent_id ? { agentId: q.agent_id } : {}),
      limit: q.limit,
    });
    return { decisions: rows.map(toDecisionView) };
  }
}

export function toDecisionView(row: DecisionRow): DecisionView {
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  return {
    decision_id: row.id,
    agent_id: row.agent_id,
    policy: row.policy,
    model_id: row.model_id,
    fallback: row.fallback,
    valid: row.valid,
    error: row.error,
    output: parse(row.output) as DecisionOutput,
    input: parse(row.input) as Record<string, unknown>,
    latency_ms: Math.round(Number(row.latency_ms) * 1000) / 1000,
    switch_id: row.switch_id,
    created_at: isoRequired(row.created_at),
  };
}
