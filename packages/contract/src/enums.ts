import { z } from 'zod';

/** Instance status (DESIGN §3). Transitions live in the server's domain/state-machine.ts. */
export const InstanceStatus = z.enum([
  'LAUNCHING',
  'RUNNING',
  'PROMOTING',
  'TERMINATING',
  'TERMINATED',
  'OFFLINE',
  'FAILED',
]);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

export const InstanceRole = z.enum(['PRIMARY', 'REPLICA', 'ZOMBIE']);
export type InstanceRole = z.infer<typeof InstanceRole>;

/**
 * What an agent can be asked to do. A replica is a LAUNCH_INSTANCE with role REPLICA, and a
 * switch is a server-side process (launch → PROMOTE_REPLICA → terminate), so neither needs a
 * command type of its own. Each type's payload schema is in CommandPayloads (agents.ts).
 */
export const CommandType = z.enum(['LAUNCH_INSTANCE', 'TERMINATE_INSTANCE', 'PROMOTE_REPLICA']);
export type CommandType = z.infer<typeof CommandType>;

export const CommandStatus = z.enum(['pending', 'delivered', 'succeeded', 'failed', 'expired']);
export type CommandStatus = z.infer<typeof CommandStatus>;

/** Command priorities (DESIGN §3): higher runs first. */
export const CommandPriority = {
  CRITICAL: 100,
  MANUAL: 75,
  DECISION_URGENT: 50,
  DECISION_NORMAL: 25,
  MAINTENANCE: 10,
} as const;

export const LifecycleEventType = z.enum([
  'LAUNCH_REQUESTED',
  'LAUNCH_CONFIRMED',
  'LAUNCH_FAILED',
  'TERMINATE_REQUESTED',
  'TERMINATE_REQUEST_REPEATED',
  'TERMINATE_CONFIRMED',
  'TERMINATE_FAILED',
  'PROMOTE_REQUESTED',
  'PROMOTE_CONFIRMED',
  'PROMOTE_ABORTED',
  'DEMOTED',
  'AGENT_JOINED',
  'WENT_OFFLINE',
  'CAME_ONLINE',
  'CONFIRMATION_DUPLICATE',
  'CONFIRMATION_LATE',
  'INTERRUPTION_NOTICE',
  'REBALANCE_RECOMMENDATION',
]);
export type LifecycleEventType = z.infer<typeof LifecycleEventType>;

export const EventSource = z.enum(['backend', 'agent', 'external', 'new_primary_confirmation', 'operator']);
export type EventSource = z.infer<typeof EventSource>;

export const TransitionReason = z.enum([
  'manual',
  'auto_switch',
  'emergency',
  'cleanup',
  'cost_optimization',
  'timeout',
  'launch_error',
  'spot_interruption',
  'heartbeat_missed',
  'heartbeat_resumed',
]);
export type TransitionReason = z.infer<typeof TransitionReason>;

export const ConfirmationMethod = z.enum([
  'agent_aws_poll',
  'backend_aws_check',
  'new_primary_health_check',
  'spot_interruption_notice',
  'eventbridge',
  'agent_registration',
]);
export type ConfirmationMethod = z.infer<typeof ConfirmationMethod>;

/** Real-time event types pushed over SSE and WebSocket (DESIGN §5). */
export const StreamEventType = z.enum([
  'INSTANCE_LAUNCHING',
  'INSTANCE_RUNNING',
  'INSTANCE_PROMOTING',
  'INSTANCE_TERMINATING',
  'INSTANCE_TERMINATED',
  'INSTANCE_OFFLINE',
  'INSTANCE_FAILED',
  'INSTANCE_UPDATED',
  'AGENT_STATUS_CHANGED',
  'COMMAND_EXECUTED',
  'EMERGENCY_EVENT',
  'SWITCH_STARTED',
  'SWITCH_COMPLETED',
  'SWITCH_FAILED',
  'PRICE_UPDATED',
  'DECISION_MADE',
  'NOTIFICATION',
  'HEARTBEAT',
]);
export type StreamEventType = z.infer<typeof StreamEventType>;

export const AgentStatus = z.enum(['online', 'offline']);
export type AgentStatus = z.infer<typeof AgentStatus>;

export const Market = z.enum(['spot', 'on-demand']);
export type Market = z.infer<typeof Market>;
