import type {
  AgentView,
  DecisionView,
  Instance,
  InterruptionView,
  StreamEvent,
  StreamEventType,
  SwitchView,
} from '@spot/contract';
import {
  AgentStatusChangedData,
  CommandExecutedData,
  DecisionMadeData,
  EmergencyEventData,
  Instance as InstanceSchema,
  SwitchEventData,
} from '@spot/contract';
import { assertNever } from '../lib/assert';
import { formatSeconds } from '../lib/format';
import { describeDecision, mergeDecisions } from './decisions';
import type { ActivityItem, FleetState, Notice, PendingAction } from './fleet-state';
import { poolKey, poolLabel } from './fleet-state';
import {
  describeOutcome,
  mergeEmergencyEvent,
  mergeListed,
  responseLabel,
  sameEmergency,
} from './interruptions';

const ACTIVITY_MAX = 100;
const NOTICES_MAX = 5;

/** PRICE_UPDATED has no schema in the contract (docs/events.md gives its fields): checked by hand. */
function priceUpdate(d: Record<string, unknown>) {
  const { instance_type, availability_zone, spot_price, timestamp } = d;
  if (typeof instance_type !== 'string' || typeof spot_price !== 'number' || typeof timestamp !== 'string') {
    return null;
  }
  return {
    instance_type,
    availability_zone: typeof availability_zone === 'string' ? availability_zone : null,
    spot_price,
    timestamp,
  };
}

const isInstanceEvent = (type: StreamEventType): boolean => type.startsWith('INSTANCE_');

/**
 * Applies one stream event, purely. Instance events win only with a newer `version` (a
 * reconnect may replay one we had); other events are skipped when their `seq` is not past
 * the last one applied. Malformed payloads change nothing but the resume point. The switch
 * covers every StreamEventType of the contract: a new type fails the build until handled here.
 */
export function applyEvent(state: FleetState, event: StreamEvent): FleetState {
  if (event.type === 'HEARTBEAT') return state;
  const seq = event.seq ?? null;
  const seen = seq !== null && state.lastSeq !== null && seq <= state.lastSeq;
  const next: FleetState = seq !== null && !seen ? { ...state, lastSeq: seq } : state;
  if (seen && !isInstanceEvent(event.type)) return state;

  switch (event.type) {
    case 'INSTANCE_LAUNCHING':
    case 'INSTANCE_RUNNING':
    case 'INSTANCE_PROMOTING':
    case 'INSTANCE_TERMINATING':
    case 'INSTANCE_TERMINATED':
    case 'INSTANCE_OFFLINE':
    case 'INSTANCE_FAILED':
    case 'INSTANCE_UPDATED': {
      const parsed = InstanceSchema.safeParse(event.data);
      if (!parsed.success) return next;
      return upsertInstance(next, parsed.data, seq, event.type, event.timestamp);
    }
    case 'AGENT_STATUS_CHANGED': {
      const p = AgentStatusChangedData.safeParse(event.data);
      if (!p.success) return next;
      const d = p.data;
      const held = next.agents[d.agent_id];
      const agent: AgentView = held
        ? { ...held, status: d.status }
        : {
            agent_id: d.agent_id,
            logical_id: d.logical_id,
            status: d.status,
            last_heartbeat_at: null,
            instance_type: null,
            availability_zone: null,
            region: null,
            cloud_instance_id: null,
            active_instances: 0,
            created_at: event.timestamp,
          };
      // Coming online means a heartbeat just arrived.
      if (d.status === 'online') agent.last_heartbeat_at = event.timestamp;
      return withActivity(
        { ...next, agents: { ...next.agents, [d.agent_id]: agent } },
        event,
        `agent ${d.logical_id} is ${d.status}`,
      );
    }
    case 'EMERGENCY_EVENT': {
      const p = EmergencyEventData.safeParse(event.data);
      if (!p.success) return next;
      return emergencyEvent(next, p.data, event);
    }
    case 'PRICE_UPDATED': {
      const p = priceUpdate(event.data);
      if (!p) return next;
      const key = poolKey(p.instance_type, p.availability_zone);
      const held = next.prices[key];
      const prices =
        held && Date.parse(held.at) >= Date.parse(p.timestamp)
          ? next.prices
          : { ...next.prices, [key]: { ...held, price: p.spot_price, at: p.timestamp } };
      return { ...next, prices, priceVersion: next.priceVersion + 1 };
    }
    case 'COMMAND_EXECUTED': {
      const p = CommandExecutedData.safeParse(event.data);
      if (!p.success) return next;
      const d = p.data;
      const kind = d.command_type.toLowerCase().replace(/_/g, ' ');
      if (d.success) return withActivity(next, event, `${kind} succeeded`);
      const code = typeof event.data.error_code === 'string' ? ` (${event.data.error_code})` : '';
      const text = `${kind} failed${code}${d.message ? `: ${d.message}` : ''}`;
      return withActivity(addNotice(next, 'error', text), event, text);
    }
    case 'NOTIFICATION': {
      const msg = typeof event.data.message === 'string' ? event.data.message : 'notification';
      return withActivity(addNotice(next, 'info', msg), event, msg);
    }
    case 'SWITCH_STARTED':
    case 'SWITCH_COMPLETED':
    case 'SWITCH_FAILED': {
      const p = SwitchEventData.safeParse(event.data);
      if (!p.success) return next;
      return switchEvent(next, p.data, event);
    }
    case 'DECISION_MADE': {
      const p = DecisionMadeData.safeParse(event.data);
      if (!p.success) return next;
      const decisions = mergeDecisions(next.decisions, [p.data]);
      if (decisions === next.decisions) return next;
      const who = next.agents[p.data.agent_id]?.logical_id ?? p.data.agent_id.slice(0, 8);
      return withActivity({ ...next, decisions }, event, describeDecision(p.data, who));
    }
    default:
      // HEARTBEAT returned above; anything else the contract adds lands here and fails the build.
      return assertNever(event.type);
  }
}

/**
 * EMERGENCY_EVENT is sent again for the same interruption id as the response proceeds: each
 * one merges into the one record (an update may come first, e.g. after a reconnect).
 */
function emergencyEvent(state: FleetState, d: EmergencyEventData, event: StreamEvent): FleetState {
  const held = state.emergencies[d.interruption_id];
  const merged = mergeEmergencyEvent(held, d, event.timestamp);
  if (held && sameEmergency(held, merged)) return state;
  const next = { ...state, emergencies: { ...state.emergencies, [d.interruption_id]: merged } };
  const label = merged.kind === 'termination_notice' ? 'termination notice' : 'rebalance recommendation';
  const what = `${label} for ${merged.cloud_instance_id}`;
  const news: string[] = [];
  if (merged.response !== (held?.response ?? null) && merged.response)
    news.push(responseLabel(merged.response));
  if (merged.outcome !== (held?.outcome ?? null) && merged.outcome) {
    news.push(describeOutcome(merged, state.switches[merged.switch_id ?? '']) ?? merged.outcome);
  }
  if (held && news.length === 0) return next; // a source added, a switch linked: the alert shows it
  return withActivity(next, event, news.length ? `${what}: ${news.join(', ')}` : what);
}

const ended = (s: SwitchView): boolean => s.status !== 'IN_PROGRESS';

/** An ended switch never goes back to IN_PROGRESS (a replayed SWITCH_STARTED or a stale list). */
function mergeSwitch(held: SwitchView | undefined, incoming: SwitchView): SwitchView {
  return held && ended(held) && !ended(incoming) ? held : incoming;
}

function switchEvent(state: FleetState, sw: SwitchView, event: StreamEvent): FleetState {
  const held = state.switches[sw.switch_id];
  const merged = mergeSwitch(held, sw);
  if (merged === held) return state;
  const endsNow = ended(merged) && !(held && ended(held));
  let next: FleetState = {
    ...state,
    switches: { ...state.switches, [sw.switch_id]: merged },
    switchVersion: endsNow ? state.switchVersion + 1 : state.switchVersion,
  };
  const who = next.agents[sw.agent_id]?.logical_id ?? sw.agent_id.slice(0, 8);
  const to = poolLabel(sw.to_pool);
  switch (merged.status) {
    case 'IN_PROGRESS':
      return withActivity(next, event, `switch of ${who} to ${to} started (${sw.trigger})`);
    case 'COMPLETED': {
      const down = sw.downtime_seconds === null ? '' : `, downtime ${formatSeconds(sw.downtime_seconds)}`;
      return withActivity(next, event, `switch of ${who} to ${to} completed${down}`);
    }
    case 'FAILED': {
      const why = sw.error_code
        ? `: ${sw.error_code}${sw.error_message ? ` (${sw.error_message})` : ''}`
        : '';
      const text = `switch of ${who} to ${to} failed${why}`;
      if (endsNow) next = addNotice(next, 'error', text);
      return withActivity(next, event, text);
    }
    default:
      return assertNever(merged.status);
  }
}

/** Merges a GET /api/client/decisions answer into the feed (the stream may have some already). */
export function applyDecisions(state: FleetState, list: DecisionView[]): FleetState {
  const decisions = mergeDecisions(state.decisions, list);
  return decisions === state.decisions ? state : { ...state, decisions };
}

/** Merges a GET /api/client/switches answer: what the stream already ended stays ended. */
export function applySwitches(state: FleetState, list: SwitchView[]): FleetState {
  const switches = { ...state.switches };
  for (const sw of list) switches[sw.switch_id] = mergeSwitch(switches[sw.switch_id], sw);
  return { ...state, switches };
}

function upsertInstance(
  state: FleetState,
  inst: Instance,
  seq: number | null,
  type: StreamEventType,
  timestamp?: string,
): FleetState {
  const held = state.instances[inst.instance_id];
  if (held && held.version >= inst.version) return state;
  let pending = state.pending;
  for (const p of Object.values(pending)) {
    if (confirms(p, inst, !held && type === 'INSTANCE_LAUNCHING', pending)) {
      pending = { ...pending };
      delete pending[p.key];
      break;
    }
  }
  const seqOf = seq === null ? state.seqOf : { ...state.seqOf, [inst.instance_id]: seq };
  const next = { ...state, instances: { ...state.instances, [inst.instance_id]: inst }, seqOf, pending };
  const label = inst.cloud_instance_id ?? inst.instance_id.slice(0, 8);
  // A role change (a replica promoted to PRIMARY, a former primary become ZOMBIE) is news even
  // on INSTANCE_UPDATED, which otherwise only refreshes fields.
  const roleChanged = held !== undefined && held.role !== inst.role;
  if (type === 'INSTANCE_UPDATED' && !roleChanged) return next;
  const parts: string[] = [];
  if (type !== 'INSTANCE_UPDATED') parts.push(inst.status.toLowerCase());
  if (roleChanged) parts.push(`${held.role.toLowerCase()} → ${inst.role.toLowerCase()}`);
  const at = type === 'INSTANCE_UPDATED' ? (timestamp ?? inst.status_changed_at) : inst.status_changed_at;
  return withActivity(next, { seq, type, timestamp: at }, `${label} ${parts.join(', ')}`);
}

/** Whether a server event settles an optimistic action. */
function confirms(
  p: PendingAction,
  inst: Instance,
  newLaunch: boolean,
  pending: Record<string, PendingAction>,
): boolean {
  if (p.kind === 'terminate') {
    return p.instance_id === inst.instance_id && inst.status !== 'RUNNING' && inst.status !== 'OFFLINE';
  }
  if (p.instance_id !== null) return p.instance_id === inst.instance_id;
  // The event beat the 202 answer: match the oldest unanswered launch for the same pool.
  if (!newLaunch || p.agent_id !== inst.agent_id || p.instance_type !== inst.instance_type) return false;
  if (p.availability_zone && p.availability_zone !== inst.availability_zone) return false;
  return !Object.values(pending).some(
    (o) =>
      o.kind === 'launch' &&
      o.instance_id === null &&
      o.agent_id === p.agent_id &&
      o.instance_type === p.instance_type &&
      o.requested_at < p.requested_at,
  );
}

/**
 * Merges a GET /api/client/instances answer: newer versions win; an active instance missing
 * from it was terminated before we listened, unless an event newer than the request set it.
 */
export function applySnapshot(state: FleetState, list: Instance[], seqAtRequest: number | null): FleetState {
  const instances = { ...state.instances };
  const listed = new Set<string>();
  for (const inst of list) {
    listed.add(inst.instance_id);
    const held = instances[inst.instance_id];
    if (!held || held.version < inst.version) instances[inst.instance_id] = inst;
  }
  for (const [id, inst] of Object.entries(instances)) {
    if (listed.has(id) || inst.status === 'TERMINATED') continue;
    const s = state.seqOf[id];
    const setAfterRequest = s !== undefined && (seqAtRequest === null || s > seqAtRequest);
    if (!setAfterRequest) delete instances[id];
  }
  let pending = state.pending;
  for (const p of Object.values(pending)) {
    const inst = p.instance_id ? instances[p.instance_id] : undefined;
    if (inst && confirms(p, inst, false, pending)) {
      pending = { ...pending };
      delete pending[p.key];
    }
  }
  return { ...state, instances, pending };
}

export function applyAgents(state: FleetState, agents: AgentView[]): FleetState {
  return { ...state, agents: Object.fromEntries(agents.map((a) => [a.agent_id, a])) };
}

/**
 * Merges a GET /api/client/interruptions answer into the records the stream keeps (one per
 * interruption id, see interruptions.ts); a dismissed alert stays dismissed.
 */
export function applyInterruptions(state: FleetState, list: InterruptionView[]): FleetState {
  let emergencies = state.emergencies;
  for (const i of list) {
    const held = emergencies[i.interruption_id];
    const merged = mergeListed(held, i);
    if (held && sameEmergency(held, merged)) continue;
    if (emergencies === state.emergencies) emergencies = { ...emergencies };
    emergencies[i.interruption_id] = merged;
  }
  return emergencies === state.emergencies ? state : { ...state, emergencies };
}

export function applyLatestPrices(
  state: FleetState,
  pools: {
    instance_type: string;
    availability_zone: string;
    ondemand_price?: number | null;
    points: { t: string; price: number }[];
  }[],
): FleetState {
  const prices = { ...state.prices };
  for (const pool of pools) {
    const last = pool.points[pool.points.length - 1];
    if (!last) continue;
    const key = poolKey(pool.instance_type, pool.availability_zone);
    const held = prices[key];
    const ondemand = pool.ondemand_price ?? held?.ondemand ?? null;
    const od = ondemand === null ? {} : { ondemand };
    if (!held || Date.parse(held.at) < Date.parse(last.t))
      prices[key] = { price: last.price, at: last.t, ...od };
    else if (ondemand !== null && held.ondemand !== ondemand) prices[key] = { ...held, ondemand };
  }
  return { ...state, prices };
}

// ---- optimistic actions -------------------------------------------------------------------

export function beginLaunch(
  state: FleetState,
  a: { key: string; agent_id: string; instance_type: string; availability_zone: string | null; at: string },
): FleetState {
  const p: PendingAction = {
    kind: 'launch',
    key: a.key,
    instance_id: null,
    agent_id: a.agent_id,
    instance_type: a.instance_type,
    availability_zone: a.availability_zone,
    requested_at: a.at,
  };
  return { ...state, pending: { ...state.pending, [a.key]: p } };
}

/** The 202 answer: the row keeps showing LAUNCHING until the event, unless the event came first. */
export function launchAccepted(state: FleetState, key: string, instanceId: string): FleetState {
  const p = state.pending[key];
  if (p?.kind !== 'launch') return state;
  const pending = { ...state.pending };
  if (state.instances[instanceId]) delete pending[key];
  else pending[key] = { ...p, instance_id: instanceId };
  return { ...state, pending };
}

export function beginTerminate(state: FleetState, key: string, instanceId: string, at: string): FleetState {
  const p: PendingAction = { kind: 'terminate', key, instance_id: instanceId, requested_at: at };
  return { ...state, pending: { ...state.pending, [key]: p } };
}

export function terminateAccepted(state: FleetState, key: string): FleetState {
  const p = state.pending[key];
  if (p?.kind !== 'terminate') return state;
  const inst = state.instances[p.instance_id];
  if (!inst || !confirms(p, inst, false, state.pending)) return state;
  const pending = { ...state.pending };
  delete pending[key];
  return { ...state, pending };
}

/** The server refused: the optimistic state disappears and the operator is told why. */
export function rollback(state: FleetState, key: string, message: string): FleetState {
  if (!state.pending[key]) return state;
  const pending = { ...state.pending };
  delete pending[key];
  return addNotice({ ...state, pending }, 'error', message);
}

export function addNotice(state: FleetState, level: Notice['level'], text: string): FleetState {
  const notice = { id: state.nextNoticeId, level, text };
  return {
    ...state,
    notices: [...state.notices, notice].slice(-NOTICES_MAX),
    nextNoticeId: state.nextNoticeId + 1,
  };
}

export function dismissNotice(state: FleetState, id: number): FleetState {
  return { ...state, notices: state.notices.filter((n) => n.id !== id) };
}

/** Hides the alert; the interruption's record stays (History lists it) and later updates keep it hidden. */
export function dismissEmergency(state: FleetState, id: string): FleetState {
  if (!state.emergencies[id] || state.dismissed[id]) return state;
  return { ...state, dismissed: { ...state.dismissed, [id]: true } };
}

function withActivity(
  state: FleetState,
  e: { seq?: number | null; type: string; timestamp: string },
  text: string,
): FleetState {
  const item: ActivityItem = { seq: e.seq ?? null, type: e.type, text, at: e.timestamp };
  const activity = [item, ...state.activity];
  if (activity.length > ACTIVITY_MAX) activity.length = ACTIVITY_MAX;
  return { ...state, activity };
}
