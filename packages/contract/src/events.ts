import { z } from 'zod';
import { Timestamp } from './common.ts';
import { StreamEventType } from './enums.ts';

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
});

export const EmergencyEventData = z.object({
  interruption_id: z.string(),
  kind: z.enum(['termination_notice', 'rebalance_recommendation']),
  agent_id: z.string(),
  instance_id: z.string().nullable(),
  cloud_instance_id: z.string(),
  deadline: Timestamp.nullable(),
  detected_at: Timestamp,
});
export type EmergencyEventData = z.infer<typeof EmergencyEventData>;

export const CommandExecutedData = z.object({
  command_id: z.string(),
  agent_id: z.string(),
  instance_id: z.string().nullable(),
  command_type: z.string(),
  success: z.boolean(),
  message: z.string().nullable(),
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
  response: z.string().nullable(),
  outcome: z.string().nullable(),
});
export type InterruptionView = z.infer<typeof InterruptionView>;

export const InterruptionList = z.object({ interruptions: z.array(InterruptionView) });
export type InterruptionList = z.infer<typeof InterruptionList>;
