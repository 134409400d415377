import { z } from 'zod';
import { Timestamp } from './common.ts';
import { DecisionMadeData } from './decisions.ts';
import { StreamEventType } from './enums.ts';
import { Instance } from './instances.ts';
import { SwitchView } from './switching.ts';

/**
 * What one SSE `data:` line / one WebSocket message carries. `seq` is also the SSE `id:`;
 * it rises strictly within a client's stream (ids of other tenants leave gaps).
 */
export const StreamEvent = z.object({
  seq: z.number().int().optional(),
  type: StreamEventType,
  data: z.record(z.string(), z.unknown()),
  timestamp: Timestamp,
});
export type StreamEvent = z.infer<typeof StreamEvent>;

export const StreamParams = z.object({ client_id: z.string().min(1).max(64) });

export const AgentStatusChangedData = z.object({
  agent_id: z.string(),
  logical_id: z.string(),
  status: z.enum(['online', 'offline']),
  previous_status: z.enum(['online', 'offline']).nullable(),
  last_heartbeat_at: Timestamp.nullable().optional(),
});

export const EmergencyEventData = z.object({
  interruption_id: z.string(),
  kind: z.enum(['termination_notice', 'rebalance_recommendation']),
  agent_id: z.string(),
  instance_id: z.string().nullable(),
  cloud_instance_id: z.string(),
  deadline: Timestamp.nullable(),
  detected_at: Timestamp,
  action: z.string().nullable().optional(),
  /** Sent again as the response proceeds: what was done, the switch doing it, how it ended. */
  response: z.string().nullable().optional(),
  outcome: z.string().nullable().optional(),
  switch_id: z.string().nullable().optional(),
  sources: z.array(z.string()).optional(),
  response_detail: z.string().nullable().optional().describe('why, for a response of none or rate_limited'),
  serving_after_seconds: z.number().nullable().optional(),
});
export type EmergencyEventData = z.infer<typeof EmergencyEventData>;

export const CommandExecutedData = z.object({
  command_id: z.string(),
  agent_id: z.string(),
  instance_id: z.string().nullable(),
  command_type: z.string(),
  success: z.boolean(),
  message: z.string().nullable(),
  error_code: z.string().optional(),
});

/** An interruption signal as the dashboard lists it (GET /api/client/interruptions). */
export const InterruptionView = z.object({
  interruption_id: z.string(),
  kind: z.enum(['termination_notice', 'rebalance_recommendation']),
  agent_id: z.string(),
  instance_id: z.string().nullable(),
  cloud_instance_id: z.string(),
  action: z.string().nullable(),
  deadline: Timestamp.nullable(),
  detected_at: Timestamp,
  received_at: Timestamp,
  response: z
    .string()
    .nullable()
    .describe(
      'termination: promoted_replica | replacement_launched | on_demand_fallback | none; rebalance: replica_prewarmed | marked | rate_limited | none',
    ),
  outcome: z
    .string()
    .nullable()
    .describe('in_time | late | failed (termination); replica_retired (rebalance replica not needed)'),
  sources: z.array(z.string()).describe('who reported it: agent (IMDS), eventbridge, reclaim'),
  switch_id: z.string().nullable(),
  response_detail: z.string().nullable().optional().describe('why, for a response of none or rate_limited'),
  serving_after_seconds: z.number().nullable().describe('from the notice to the new primary serving'),
  responded_at: Timestamp.nullable(),
  resolved_at: Timestamp.nullable(),
});
export type InterruptionView = z.infer<typeof InterruptionView>;

export const InterruptionList = z.object({ interruptions: z.array(InterruptionView) });
export type InterruptionList = z.infer<typeof InterruptionList>;

export const PriceUpdatedData = z.object({
  instance_type: z.string(),
  availability_zone: z.string(),
  region: z.string().nullable(),
  spot_price: z.number(),
  timestamp: Timestamp,
});

/** SWITCH_STARTED / SWITCH_COMPLETED / SWITCH_FAILED carry the switch as the API shows it. */
export const SwitchEventData = SwitchView;

/** A free-form operator notice (used by jobs that clean up after the product). */
export const NotificationData = z.object({
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
  agent_id: z.string().optional(),
  instance_id: z.string().optional(),
});

/** Payload shape kept open for types without a payload of their own (HEARTBEAT). */
const OpenData = z.record(z.string(), z.unknown());

/**
 * Every stream event type → the schema of its `data`. Producers are typed against it
 * (appendEvent), consumers dispatch on it exhaustively: adding a type breaks the build
 * wherever it must be handled.
 */
export const StreamEventPayloads = {
  INSTANCE_LAUNCHING: Instance,
  INSTANCE_RUNNING: Instance,
  INSTANCE_PROMOTING: Instance,
  INSTANCE_TERMINATING: Instance,
  INSTANCE_TERMINATED: Instance,
  INSTANCE_OFFLINE: Instance,
  INSTANCE_FAILED: Instance,
  INSTANCE_UPDATED: Instance,
  AGENT_STATUS_CHANGED: AgentStatusChangedData,
  COMMAND_EXECUTED: CommandExecutedData,
  EMERGENCY_EVENT: EmergencyEventData,
  SWITCH_STARTED: SwitchEventData,
  SWITCH_COMPLETED: SwitchEventData,
  SWITCH_FAILED: SwitchEventData,
  PRICE_UPDATED: PriceUpdatedData,
  DECISION_MADE: DecisionMadeData,
  NOTIFICATION: NotificationData,
  HEARTBEAT: OpenData,
} satisfies Record<StreamEventType, z.ZodType>;

export type StreamEventPayload<T extends StreamEventType> = z.input<(typeof StreamEventPayloads)[T]>;
