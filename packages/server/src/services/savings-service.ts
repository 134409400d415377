import type {
  AgentSavingsDetail,
  AgentSavingsList,
  AgentSavingsRow,
  ReplicaRoi,
  SavingsResponse,
  SwitchImpact,
} from '@spot/contract';
import { groupBy, replicaCost, sumsAsPart } from '../domain/agent-hours.ts';
import { notFound } from '../domain/errors.ts';
import { promotionsByAgent, replicaPeriods, replicaStretches } from '../domain/replica-periods.ts';
import { median, type Promotion, replicaRoi, switchImpact } from '../domain/roi.ts';
import {
  combineHours,
  combineTotals,
  currentRates,
  type HourSummary,
  hourSummaries,
  type SavingsSummary,
  type SavingsTotals,
  summarise,
} from '../domain/savings.ts';
import { isUuid } from '../repositories/ids.ts';
import {
  findAgentOfClient,
  listAgentsOfClient,
  listRecentLaunchSeconds,
  listSwitchesInWindow,
  listSwitchesTargeting,
} from '../repositories/savings.ts';
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

  /**
   * Every agent's savings: its stored hours summed by the database (the rollup's per-agent
   * rows), plus what is not stored, computed from the raw tables for all agents at once.
   */
  async agents(clientId: string, hours: number, downtimeUsdPerHour?: number): Promise<AgentSavingsList> {
    const w = this.window(clientId, hours);
    const db = this.ctx.db.kysely;
    const [agents, win, switches, launchSecs] = await Promise.all([
      listAgentsOfClient(db, clientId),
      this.rollup.agentWindow(db, clientId, w.since, w.now),
      listSwitchesInWindow(db, clientId, w.since),
      listRecentLaunchSeconds(db, clientId),
    ]);
    const targeting = await listSwitchesTargeting(
      db,
      clientId,
      win.spans.flatMap((s) => [...s.runOf.keys()]),
    );
    const stretches = replicaStretches(targeting);
    const promotions = promotionsByAgent(switches);
    const bootSeconds = median(launchSecs) ?? this.settings.defaultBootSeconds;
    const usd = downtimeUsdPerHour ?? this.settings.downtimeUsdPerHour;
    // Each raw span's runs and replica periods, grouped by agent once (thousands of each).
    const spans = win.spans.map((s) => ({
      prices: s.prices,
      runsOf: groupBy(s.runs, (r) => r.agentId),
      periodsOf: groupBy(replicaPeriods(s.rows, s.runOf, stretches), (p) => p.run.agentId),
    }));
    const last = spans[spans.length - 1]!;
    const nowMs = w.now.getTime();
    return {
      agents: agents.map((a) => {
        const stored = win.stored.get(a.id);
        const parts: HourSummary[] = stored ? [sumsAsPart(stored)] : [];
        let cost: number | null = stored ? (stored.replica_unknown ? null : stored.replica_cost) : 0;
        for (const s of spans) {
          // Most agents ran nothing in a raw edge of a few hours or had no replica there.
          const runs = s.runsOf.get(a.id);
          if (runs) parts.push(...hourSummaries(runs, s.prices));
          const periods = s.periodsOf.get(a.id);
          const c = periods ? replicaCost(periods, s.prices) : 0;
          cost = cost === null || c === null ? null : cost + c;
        }
        const summary = combineTotals(parts, currentRates(last.runsOf.get(a.id) ?? [], last.prices, nowMs));
        const roi = this.roi(cost, promotions.get(a.id) ?? [], bootSeconds, usd);
        return this.row(w, a, summary, roi);
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
    const periods = replicaPeriods(data.rows, data.runOf, replicaStretches(data.targeting));
    const cost = replicaCost(periods, data.prices);
    const promotions = promotionsByAgent(data.switches).get(agentId) ?? [];
    return {
      ...this.row(w, agent, s, this.roi(cost, promotions, data.bootSeconds, usd)),
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

  /** Replica ROI from what the standing replicas cost and the promotions they made. */
  private roi(
    cost: number | null,
    promotions: readonly Promotion[],
    bootSeconds: number,
    usd: number,
  ): ReplicaRoi {
    const roi = replicaRoi({
      replica_cost: cost,
      promotions,
      boot_seconds: bootSeconds,
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

  private figures(w: Window, s: SavingsTotals) {
    const od = s.total_ondemand_cost;
    return {
      currency: 'USD' as const,
      window_hours: w.hours,
      window_start: w.since.toISOString(),
      since: s.first_costed_hour === null ? null : new Date(s.first_costed_hour).toISOString(),
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
    s: SavingsTotals,
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
