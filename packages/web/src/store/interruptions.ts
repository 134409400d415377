import type { EmergencyEventData, Instance, InterruptionView, SwitchView } from '@spot/contract';
import { formatSeconds } from '../lib/format';

/**
 * One interruption signal as the dashboard knows it: the notice (fixed once known), what the
 * server did about it (`response`, the `switch_id` carrying it out) and how it ended
 * (`outcome`), merged from EMERGENCY_EVENTs — sent again for the same id as the response
 * proceeds — and GET /api/client/interruptions.
 */
export interface Emergency {
  interruption_id: string;
  kind: 'termination_notice' | 'rebalance_recommendation';
  agent_id: string;
  instance_id: string | null;
  cloud_instance_id: string;
  deadline: string | null;
  detected_at: string;
  action: string | null;
  /** termination: promoted_replica | replacement_launched | on_demand_fallback | none; rebalance: replica_prewarmed | marked | rate_limited | none */
  response: string | null;
  /** in_time | late | failed; replica_retired (rebalance) */
  outcome: string | null;
  switch_id: string | null;
  /** agent (IMDS), eventbridge, reclaim */
  sources: string[];
  serving_after_seconds: number | null;
  /** The server's reason for a response of none / rate_limited, when it gave one. */
  response_detail?: string | null;
  /** From the listing, else when the stream first told us of the response / outcome. */
  responded_at: string | null;
  resolved_at: string | null;
}

const or = <T>(a: T | null | undefined, b: T | null | undefined): T | null => a ?? b ?? null;

function union(a: readonly string[], b: readonly string[] | undefined): string[] {
  if (!b || b.every((s) => a.includes(s))) return a as string[];
  return [...a, ...b.filter((s) => !a.includes(s))];
}

/**
 * Folds one EMERGENCY_EVENT into what we hold for its id (or starts the record: an update may
 * be the first we hear of it, e.g. after a reconnect, or for a reclaim that had no notice).
 * The stream is ordered, so a value it carries replaces ours — except the notice's own fields,
 * which never change, and a null / absent field, which never erases what we know (an outcome
 * once arrived stays). Sources accumulate.
 */
export function mergeEmergencyEvent(
  held: Emergency | undefined,
  d: EmergencyEventData,
  at: string,
): Emergency {
  const response = or(d.response, held?.response);
  const outcome = or(d.outcome, held?.outcome);
  return {
    interruption_id: d.interruption_id,
    kind: held?.kind ?? d.kind,
    agent_id: held?.agent_id ?? d.agent_id,
    instance_id: or(held?.instance_id, d.instance_id),
    cloud_instance_id: held?.cloud_instance_id ?? d.cloud_instance_id,
    deadline: or(held?.deadline, d.deadline),
    detected_at: held?.detected_at ?? d.detected_at,
    action: or(held?.action, d.action),
    response,
    outcome,
    switch_id: or(d.switch_id, held?.switch_id),
    sources: union(held?.sources ?? [], d.sources),
    response_detail: d.response ? (d.response_detail ?? null) : (held?.response_detail ?? null),
    serving_after_seconds: d.serving_after_seconds ?? held?.serving_after_seconds ?? null,
    responded_at: held?.responded_at ?? (response ? at : null),
    resolved_at: held?.resolved_at ?? (outcome ? at : null),
  };
}

const progress = (e: Pick<Emergency, 'response' | 'outcome'>): number => (e.outcome ? 2 : e.response ? 1 : 0);

/**
 * Folds a listed interruption into what we hold. The listing may be older than the stream
 * (it is requested after the stream opened) or newer (events lost in a fresh start): its
 * response wins only when it is further along; it fills in whatever we lack, and its
 * server-measured figures (time to serving, responded / resolved at) always win.
 */
export function mergeListed(held: Emergency | undefined, v: InterruptionView): Emergency {
  const listed: Emergency = {
    interruption_id: v.interruption_id,
    kind: v.kind,
    agent_id: v.agent_id,
    instance_id: v.instance_id,
    cloud_instance_id: v.cloud_instance_id,
    deadline: v.deadline,
    detected_at: v.detected_at,
    action: v.action,
    response: v.response,
    outcome: v.outcome,
    switch_id: v.switch_id,
    sources: [...v.sources],
    response_detail: v.response_detail ?? null,
    serving_after_seconds: v.serving_after_seconds,
    responded_at: v.responded_at,
    resolved_at: v.resolved_at,
  };
  if (!held) return listed;
  const ahead = progress(listed) > progress(held);
  const first = ahead ? listed : held;
  const second = ahead ? held : listed;
  return {
    ...held,
    instance_id: or(held.instance_id, v.instance_id),
    deadline: or(held.deadline, v.deadline),
    action: or(held.action, v.action),
    response: or(first.response, second.response),
    outcome: or(first.outcome, second.outcome),
    switch_id: or(first.switch_id, second.switch_id),
    sources: union(held.sources, v.sources),
    response_detail: or(first.response_detail, second.response_detail),
    serving_after_seconds: or(v.serving_after_seconds, held.serving_after_seconds),
    responded_at: or(v.responded_at, held.responded_at),
    resolved_at: or(v.resolved_at, held.resolved_at),
  };
}

export function sameEmergency(a: Emergency, b: Emergency): boolean {
  for (const k of Object.keys(a) as (keyof Emergency)[]) {
    if (k === 'sources') {
      if (a.sources.length !== b.sources.length || a.sources.some((s, i) => s !== b.sources[i])) return false;
    } else if (a[k] !== b[k]) return false;
  }
  return true;
}

// ---- what the dashboard says about it ------------------------------------------------------

const SOURCE_LABEL: Record<string, string> = {
  agent: 'IMDS',
  eventbridge: 'EventBridge',
  reclaim: 'reclaim',
};
export const sourceLabel = (s: string): string => SOURCE_LABEL[s] ?? s;
export const sourcesLabel = (sources: readonly string[]): string =>
  sources.length === 0 ? '—' : sources.map(sourceLabel).join(' + ');

const OUTCOME_LABEL: Record<string, string> = {
  in_time: 'in time',
  late: 'late',
  failed: 'failed',
  replica_retired: 'replica retired (not needed)',
};
export const outcomeLabel = (o: string): string => OUTCOME_LABEL[o] ?? o.replace(/_/g, ' ');

const RESPONSE_LABEL: Record<string, string> = {
  promoted_replica: 'replica promoted',
  replacement_launched: 'replacement launched',
  on_demand_fallback: 'on-demand fallback',
  none: 'no response',
  replica_prewarmed: 'replica pre-warmed',
  marked: 'marked',
  rate_limited: 'rate limited',
};
export const responseLabel = (r: string | null): string =>
  r ? (RESPONSE_LABEL[r] ?? r.replace(/_/g, ' ')) : '—';

const reached = (o: string | null): boolean => o === 'in_time' || o === 'late';

/**
 * Seconds from the notice to the new primary serving: the server's figure when listed, else
 * from the switch's end (or when the outcome reached us) as the stream told it.
 */
export function servingSeconds(e: Emergency, sw: SwitchView | undefined): number | null {
  if (e.serving_after_seconds !== null) return e.serving_after_seconds;
  if (!reached(e.outcome)) return null;
  const end = sw?.status === 'COMPLETED' && sw.completed_at ? sw.completed_at : e.resolved_at;
  if (!end) return null;
  const s = (Date.parse(end) - Date.parse(e.detected_at)) / 1000;
  return Number.isFinite(s) ? Math.max(0, s) : null;
}

export type StepState = 'waiting' | 'active' | 'done' | 'failed' | 'none';

export interface ResponseStep {
  state: StepState;
  text: string;
}

/** What we know around an interruption when describing its response (all from the store). */
export interface ResponseFacts {
  /** The switch carrying out the response. */
  sw?: SwitchView;
  /** That switch's target (the replica promoted, or the replacement launched). */
  target?: Instance;
  /** The interrupted instance. */
  instance?: Instance;
  /** Other switches of the agent, to say why nothing was done. */
  agentSwitches?: SwitchView[];
  /** Whether the agent has a live (LAUNCHING / RUNNING) replica other than the interrupted instance. */
  hasReplica?: boolean;
}

const swError = (sw: SwitchView | undefined): string => (sw?.error_code ? ` (${sw.error_code})` : '');

/**
 * The server does not send why it did nothing; this says what the client can see of it,
 * following the emergency policy's cases (server domain/emergency-policy.ts).
 */
export function noResponseReason(e: Emergency, f: ResponseFacts): string {
  // The server says why when it knows; the guesses below are for older records.
  if (e.response_detail) return e.response_detail;
  if (!e.instance_id) return 'not an instance the product manages';
  if (f.sw?.status === 'FAILED') return `the emergency switch failed${swError(f.sw)}, no other way left`;
  if (e.kind === 'rebalance_recommendation') {
    if (f.hasReplica) return 'a replica already stands by';
    return 'on_rebalance is ignore, a switch is in progress, or no acceptable pool';
  }
  // A replica being promoted got the notice: its switch is stopped, the primary is answered anew.
  if (f.agentSwitches?.some((s) => s.to_instance_id === e.instance_id))
    return 'the switch promoting this replica was stopped: it is going away too';
  const role = f.instance?.role;
  if (role === 'ZOMBIE') return 'a former primary, being retired anyway';
  if (role === 'REPLICA') return 'a replica: replaced only in manual_replica mode, into an acceptable pool';
  const at = Date.parse(e.responded_at ?? e.detected_at);
  const other = f.agentSwitches?.find(
    (s) =>
      s.from_instance_id !== e.instance_id &&
      Date.parse(s.requested_at) <= at &&
      (s.completed_at === null || Date.parse(s.completed_at) >= Date.parse(e.detected_at)),
  );
  if (other) return 'another switch of this workload was in progress';
  return 'no acceptable spot pool and on-demand fallback is off';
}

/**
 * The response as it proceeds, from the interruption record, the linked switch (status,
 * phase) and its target instance's status: "replica promoting → promoted", "replacement
 * launching → serving", "on-demand fallback …", "no response (reason)".
 */
export function describeResponse(e: Emergency, f: ResponseFacts = {}): ResponseStep {
  const { sw, target } = f;
  const r = e.response;
  if (!r) {
    if (!e.instance_id) return { state: 'none', text: `no response (${noResponseReason(e, f)})` };
    if (e.outcome === 'failed') return { state: 'failed', text: 'no response' };
    return { state: 'waiting', text: 'responding…' };
  }
  const failed = sw?.status === 'FAILED' || e.outcome === 'failed';
  const done = sw?.status === 'COMPLETED' || reached(e.outcome);
  switch (r) {
    case 'promoted_replica':
      if (failed) return { state: 'failed', text: `replica promotion failed${swError(sw)}` };
      if (done) return { state: 'done', text: 'replica promoted' };
      return { state: 'active', text: 'replica promoting' };
    case 'replacement_launched':
    case 'on_demand_fallback': {
      const what = r === 'on_demand_fallback' ? 'on-demand fallback' : 'replacement';
      if (!e.switch_id) {
        // A replica's notice: a new replica is launched, no switch (nothing serves from it).
        return { state: 'done', text: 'replacement replica launched' };
      }
      if (failed) return { state: 'failed', text: `${what} failed${swError(sw)}` };
      if (done) return { state: 'done', text: `${what} serving` };
      if (target?.status === 'FAILED' || target?.status === 'TERMINATED')
        return {
          state: 'failed',
          text: `${what} ${target.status === 'FAILED' ? 'failed to launch' : 'lost'}`,
        };
      if (target?.status === 'RUNNING' || target?.status === 'PROMOTING' || sw?.phase === 'promoting')
        return { state: 'active', text: `${what} up, cutting over` };
      return { state: 'active', text: `${what} launching` };
    }
    case 'none':
      return { state: 'none', text: `no response (${noResponseReason(e, f)})` };
    case 'replica_prewarmed':
      return { state: 'done', text: 'replica pre-warmed in another pool' };
    case 'marked':
      return { state: 'done', text: 'marked (no action taken)' };
    case 'rate_limited':
      return { state: 'none', text: 'rate limited (no replica pre-warmed)' };
    default:
      return { state: 'done', text: responseLabel(r) };
  }
}

/** "serving after 3.2s" (and how far past the deadline when late), once the workload is served. */
export function servingText(e: Emergency, sw: SwitchView | undefined): string | null {
  const secs = reached(e.outcome) ? servingSeconds(e, sw) : null;
  if (secs === null) return null;
  const text = `serving ${formatSeconds(secs)} after the notice`;
  if (e.outcome !== 'late' || !e.deadline) return text;
  const past = (Date.parse(e.detected_at) + secs * 1000 - Date.parse(e.deadline)) / 1000;
  return past > 0 ? `${text}, ${formatSeconds(past)} past the deadline` : text;
}

/** The outcome in words, with the time from notice to serving when the workload is served. */
export function describeOutcome(e: Emergency, sw: SwitchView | undefined): string | null {
  if (!e.outcome) return null;
  const serving = servingText(e, sw);
  return serving ? `${outcomeLabel(e.outcome)} · ${serving}` : outcomeLabel(e.outcome);
}

/**
 * Nothing more is coming for it: an outcome, or a response with nothing to follow (none; a
 * rebalance answered; a replica's replacement, which no switch carries).
 */
export function settled(e: Emergency): boolean {
  if (e.outcome) return true;
  if (!e.response) return !e.instance_id;
  if (e.response === 'none') return true;
  if (e.kind === 'rebalance_recommendation') return true;
  return !e.switch_id;
}

/**
 * An alert can be dismissed once its story is told (settled), when it is only a rebalance
 * recommendation, or once AWS's deadline has passed (nothing left to count down).
 */
export function canDismiss(e: Emergency, now: number): boolean {
  if (settled(e) || e.kind === 'rebalance_recommendation') return true;
  return e.deadline !== null && Date.parse(e.deadline) <= now;
}
