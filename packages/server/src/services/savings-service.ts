import type {
  AgentSavingsDetail,
  AgentSavingsList,
  AgentSavingsRow,
  ReplicaRoi,
  SavingsResponse,
  SwitchImpact,
} from '@spot/contract';
import { notFound } from '../domain/errors.ts';
import { type Promotion, replicaRoi, switchImpact } from '../domain/roi.ts';
import { combineHours, runCost, type SavingsSummary, summarise } from '../domain/savings.ts';
import { isUuid } from '../repositories/ids.ts';
import { findAgentOfClient, listAgentsOfClient, type listSwitchesInWindow } from '../repositories/savings.ts';
import { isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import type { SavingsRollup } from './savings-rollup.ts';
import { loadSpan, type SavingsSpan, type SpanData } from './savings-window.ts';

const HOUR = 3_600_000;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
const round6n = (n: number | null) => (n === null ? null : round6(n));

export interface SavingsSettings {
  /** Value of one hour of downtime when the request does not give one (DOWNTIME_COST_USD_PER_HOUR). */
  downtimeUsdPerHour: number;
  /** Replacement boot time when no launch has been measured yet (REPLACEMENT_BOOT_SECONDS). */
  defaultBootSeconds: number;
}

/** Triggers whose promotion of a ready replica stood in for booting a replacement. */
const INTERRUPTION_TRIGGERS = new Set(['termination_notice', 'rebalance']);

interface Window extends SavingsSpan {
  hours: number;
}

/** Savings against on-demand, switch impact and replica ROI (read models; the maths is in domain/). */
export class SavingsService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly settings: SavingsSettings,
    private readonly rollup: SavingsRollup,
  ) {}

  /** The fleet's savings: stored finished hours (the rollup) plus what is not stored yet, computed. */
  async fleet(clientId: string, hours: number): Promise<SavingsResponse> {
    const w = this.window(clientId, hours);
    const { parts, rates } = await this.rollup.windowHours(this.ctx.db.kysely, clientId, w.since, w.now);
    const s = combineHours(parts, rates);
    return { ...this.figures(w, s), hourly: this.hourly(s) };
  }

  // Per-agent figures are computed from the raw tables: the rollup is per client (an agent's
  // window reads only its own runs' prices, which stays small).

  async agents(clientId: string, hours: number, downtimeUsdPerHour?: number): Promise<AgentSavingsList> {
    const w = this.window(clientId, hours);
    const [agents, data] = await Promise.all([
      listAgentsOfClient(this.ctx.db.kysely, clientId),
      this.load(w),
    ]);
    const usd = downtimeUsdPerHour ?? this.settings.downtimeUsdPerHour;
    // Each agent's runs and rows, grouped once (a fleet is thousands of runs and agents).
    const runsOf = groupBy(data.runs, (r) => r.agentId);
    const rowsOf = groupBy(data.rows, (r) => r.agent_id);
    const facts = replicaFacts(data);
    return {
      agents: agents.map((a) => {
        const s = summarise(runsOf.get(a.id) ?? [], data.prices, w.now.getTime());
        return this.row(w, a, s, this.roi(data, facts, a.id, usd, rowsOf.get(a.id) ?? []));
      }),
    };
  }

  async agent(
    clientId: string,
    agentId: string,
    hours: number,
    downtimeUsdPerHour?: number,
  ): Promise<AgentSavingsDetail> {
    const agent = isUuid(agentId)
      ? await findAgentOfClient(this.ctx.db.kysely, clientId, agentId)
      : undefined;
    if (!agent) throw notFound('agent', agentId);
    const w = { ...this.window(clientId, hours), agentId };
    const data = await this.load(w);
    const s = summarise(data.runs, data.prices, w.now.getTime());
    const usd = downtimeUsdPerHour ?? this.settings.downtimeUsdPerHour;
    return {
      ...this.row(w, agent, s, this.roi(data, replicaFacts(data), agentId, usd, data.rows)),
      hourly: this.hourly(s),
      switches: data.switches.map(toImpact),
    };
  }

  private load(w: Window): Promise<SpanData> {
    return loadSpan(this.ctx.db.kysely, w, { defaultBootSeconds: this.settings.defaultBootSeconds });
  }

  private window(clientId: string, hours: number): Window {
    const now = this.ctx.now();
    return { clientId, hours, now, since: new Date(now.getTime() - hours * HOUR) };
  }

  /**
   * A standing replica's billed period: an instance that is a REPLICA now, or a ready replica a
   * switch promoted (until the switch completed). A switch's own freshly launched target is the
   * switch's cost, not a standing replica's, and is left out.
   */
  private roi(
    data: SpanData,
    facts: ReplicaFacts,
    agentId: string,
    usd: number,
    rows: SpanData['rows'],
  ): ReplicaRoi {
    let cost: number | null = 0;
    for (const r of rows) {
      const run = data.runOf.get(r.id);
      if (!run || run.agentId !== agentId || facts.launchedBySwitch.has(r.id)) continue;
      const promoted = facts.promotedAt.get(r.id);
      if (promoted === undefined && r.role !== 'REPLICA') continue;
      const end = Math.min(run.end, promoted ?? run.end);
      const c = runCost(run, data.prices.get(run.pool) ?? [], run.start, Math.max(run.start, end));
      cost = cost === null || c === null ? null : cost + c;
    }
    const promotions = facts.promotionsOf.get(agentId) ?? [];
    const roi = replicaRoi({
      replica_cost: cost,
      promotions,
      boot_seconds: data.bootSeconds,
      downtime_usd_per_hour: usd,
    });
    return {
      ...roi,
      replica_cost: round6n(roi.replica_cost),
      value_of_downtime_avoided: round6(roi.value_of_downtime_avoided),
      net: round6n(roi.net),
      roi: roi.roi === null ? null : Math.round(roi.roi * 10_000) / 10_000,
      break_even_usd_per_hour: round6n(roi.break_even_usd_per_hour),
      downtime_avoided_seconds: Math.round(roi.downtime_avoided_seconds * 1000) / 1000,
    };
  }

  private figures(w: Window, s: SavingsSummary) {
    const od = s.total_ondemand_cost;
    return {
      currency: 'USD' as const,
      window_hours: w.hours,
      window_start: w.since.toISOString(),
      since: s.hourly[0] ? new Date(s.hourly[0].hour).toISOString() : null,
      total_spot_cost: round6(s.total_spot_cost),
      total_ondemand_cost: round6(od),
      total_savings: round6(s.total_savings),
      savings_pct: od > 0 ? Math.round((s.total_savings / od) * 10_000) / 100 : null,
      current_spend_per_hour: round6(s.current_spend_per_hour),
      current_saving_per_hour: round6(s.current_saving_per_hour),
      monthly_projection: round6(s.monthly_projection),
      yearly_projection: round6(s.yearly_projection),
      unknown_ondemand: s.unknown_ondemand.map((u) => ({
        ...u,
        hours: round6(u.hours),
        spend: round6n(u.spend),
      })),
      unknown_spot_price: s.unknown_spot_price.map((u) => ({ ...u, hours: round6(u.hours) })),
    };
  }

  private hourly(s: SavingsSummary): SavingsResponse['hourly'] {
    return s.hourly.map((b) => ({
      hour: new Date(b.hour).toISOString(),
      spot_cost: round6(b.spot_cost),
      ondemand_cost: round6(b.ondemand_cost),
      unknown_ondemand_spend: round6(b.unknown_ondemand_spend),
      savings: round6(b.savings),
      cumulative_savings: round6(b.cumulative_savings),
    }));
  }

  private row(
    w: Window,
    agent: { id: string; logical_id: string },
    s: SavingsSummary,
    roi: ReplicaRoi,
  ): AgentSavingsRow {
    return { agent_id: agent.id, logical_id: agent.logical_id, ...this.figures(w, s), replica_roi: roi };
  }
}

function toImpact(s: Awaited<ReturnType<typeof listSwitchesInWindow>>[number]): SwitchImpact {
  const before = s.from_price == null ? null : Number(s.from_price);
  const after = s.to_price == null ? null : Number(s.to_price);
  const impact = switchImpact({ from_price: before, to_price: after });
  return {
    switch_id: s.id,
    trigger: s.trigger,
    status: s.status,
    requested_at: isoRequired(s.requested_at),
    from: {
      instance_type: s.from_instance_type,
      availability_zone: s.from_availability_zone,
      market: s.from_market,
    },
    to: { instance_type: s.to_instance_type, availability_zone: s.to_availability_zone, market: s.to_market },
    price_before: before,
    price_after: after,
    saving_per_hour: round6n(impact.saving_per_hour),
    saving_pct: impact.saving_pct === null ? null : Math.round(impact.saving_pct * 100) / 100,
    monthly_projection: round6n(impact.monthly_projection),
  };
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/** What the window's switches say of replicas, read once for every agent. */
interface ReplicaFacts {
  /** Instances a switch launched as its own target (the switch's cost, not a replica's). */
  launchedBySwitch: Set<string>;
  /** Ready replicas a completed switch promoted, and when. */
  promotedAt: Map<string, number>;
  /** Per agent, its completed promotions of a ready replica on an interruption. */
  promotionsOf: Map<string, Promotion[]>;
}

function replicaFacts(data: SpanData): ReplicaFacts {
  const launchedBySwitch = new Set<string>();
  const promotedAt = new Map<string, number>();
  for (const s of data.targeting) {
    if (!s.to_instance_id) continue;
    if (s.target_launched_by_switch) launchedBySwitch.add(s.to_instance_id);
    else if (s.status === 'COMPLETED' && s.completed_at)
      promotedAt.set(s.to_instance_id, new Date(s.completed_at).getTime());
  }
  const promotionsOf = groupBy(
    data.switches.filter(
      (s) => s.status === 'COMPLETED' && !s.target_launched_by_switch && INTERRUPTION_TRIGGERS.has(s.trigger),
    ),
    (s) => s.agent_id,
  );
  return {
    launchedBySwitch,
    promotedAt,
    promotionsOf: new Map(
      [...promotionsOf].map(([agentId, list]) => [
        agentId,
        list.map((s) => ({
          downtime_seconds: s.downtime_seconds == null ? null : Number(s.downtime_seconds),
        })),
      ]),
    ),
  };
}
