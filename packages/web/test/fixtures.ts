import type { DecisionView, Instance, StreamEvent, StreamEventType, SwitchView } from '@spot/contract';

let n = 0;
export const uuid = (i = ++n) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
export const AGENT = uuid(9000);

export function instance(over: Partial<Instance> = {}): Instance {
  return {
    instance_id: uuid(),
    agent_id: AGENT,
    status: 'LAUNCHING',
    role: 'PRIMARY',
    market: 'spot',
    cloud_instance_id: null,
    instance_type: 't3.medium',
    availability_zone: 'us-east-1a',
    region: 'us-east-1',
    launch_requested_at: '2026-11-24T10:00:00.000Z',
    launch_confirmed_at: null,
    launch_duration_seconds: null,
    termination_requested_at: null,
    termination_confirmed_at: null,
    termination_duration_seconds: null,
    termination_reason: null,
    error_code: null,
    error_message: null,
    status_changed_at: '2026-11-24T10:00:00.000Z',
    created_at: '2026-11-24T10:00:00.000Z',
    version: 1,
    ...over,
  };
}

export function ev(type: StreamEventType, data: Record<string, unknown>, seq?: number): StreamEvent {
  return { type, data, timestamp: '2026-11-24T10:00:05.000Z', ...(seq === undefined ? {} : { seq }) };
}

/** The instance event the server sends for a status (docs/events.md). */
export function instEvent(i: Instance, seq: number): StreamEvent {
  const type =
    i.status === 'TERMINATED' ? 'INSTANCE_TERMINATED' : (`INSTANCE_${i.status}` as StreamEventType);
  return ev(type, i as unknown as Record<string, unknown>, seq);
}

/** A switch as GET /api/client/switches and the SWITCH_* events carry it. */
export function switchView(over: Partial<SwitchView> = {}): SwitchView {
  return {
    switch_id: uuid(),
    agent_id: AGENT,
    trigger: 'manual',
    status: 'IN_PROGRESS',
    phase: 'launching',
    from_instance_id: null,
    to_instance_id: null,
    from_pool: { instance_type: 't3.medium', availability_zone: 'us-east-1a', market: 'spot' },
    to_pool: { instance_type: 'm5.large', availability_zone: 'us-east-1b', market: 'spot' },
    from_price: 0.0416,
    to_price: 0.035,
    requested_at: '2026-11-24T10:00:00.000Z',
    completed_at: null,
    downtime_seconds: null,
    error_code: null,
    error_message: null,
    reason: null,
    ...over,
  };
}

export function switchEvent(
  type: 'SWITCH_STARTED' | 'SWITCH_COMPLETED' | 'SWITCH_FAILED',
  sw: SwitchView,
  seq: number,
): StreamEvent {
  return ev(type, sw as unknown as Record<string, unknown>, seq);
}

/** A recorded decision as GET /api/client/decisions lists it. */
export function decision(over: Partial<DecisionView> = {}): DecisionView {
  return {
    decision_id: uuid(),
    agent_id: AGENT,
    policy: 'cheapest-stable',
    model_id: null,
    fallback: null,
    valid: true,
    error: null,
    output: {
      action: 'switch',
      target: { instance_type: 'm5.large', availability_zone: 'us-east-1b' },
      expected_saving_per_hour: 0.012,
      urgent: false,
      confidence: 0.8,
      reason: 'm5.large · us-east-1b cheaper for 10 min',
    },
    input: { big: true },
    latency_ms: 3,
    switch_id: null,
    created_at: '2026-11-24T10:00:00.000Z',
    ...over,
  };
}
