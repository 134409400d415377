import { z } from 'zod';
import { AvailabilityZone, Id, InstanceType, Metadata, Region, Timestamp } from './common.ts';
import {
  ConfirmationMethod,
  EventSource,
  InstanceRole,
  InstanceStatus,
  LifecycleEventType,
  Market,
  TransitionReason,
} from './enums.ts';

/** The instance as every API and event shows it. */
export const Instance = z.object({
  instance_id: z.string(),
  agent_id: z.string(),
  status: InstanceStatus,
  role: InstanceRole,
  market: Market,
  cloud_instance_id: z.string().nullable(),
  instance_type: z.string(),
  availability_zone: z.string().nullable(),
  region: z.string().nullable(),
  launch_requested_at: Timestamp.nullable(),
  launch_confirmed_at: Timestamp.nullable(),
  launch_duration_seconds: z.number().nullable(),
  termination_requested_at: Timestamp.nullable(),
  termination_confirmed_at: Timestamp.nullable(),
  termination_duration_seconds: z.number().nullable(),
  termination_reason: z.string().nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  status_changed_at: Timestamp,
  created_at: Timestamp,
  version: z.number().int(),
});
export type Instance = z.infer<typeof Instance>;

export const InstanceList = z.object({ instances: z.array(Instance) });
export type InstanceList = z.infer<typeof InstanceList>;

export const InstanceParams = z.object({ instance_id: Id });

export const LaunchRequest = z.object({
  agent_id: Id,
  instance_type: InstanceType,
  availability_zone: AvailabilityZone.optional(),
  region: Region.optional(),
  market: Market.default('spot'),
  role: z
    .enum(['PRIMARY', 'REPLICA'])
    .optional()
    .describe('defaults to PRIMARY when the agent has none, else REPLICA'),
});
export type LaunchRequest = z.input<typeof LaunchRequest>;

export const LaunchResponse = z.object({
  instance_id: z.string(),
  status: z.literal('LAUNCHING'),
  launch_requested_at: Timestamp,
  command_id: z.string(),
});
export type LaunchResponse = z.infer<typeof LaunchResponse>;

export const TerminateRequest = z.object({
  reason: z.string().max(200).optional(),
});
export type TerminateRequest = z.infer<typeof TerminateRequest>;

export const TerminateResponse = z.object({
  instance_id: z.string(),
  status: z.literal('TERMINATING'),
  termination_requested_at: Timestamp,
  command_id: z.string().nullable(),
});
export type TerminateResponse = z.infer<typeof TerminateResponse>;

export const LifecycleEvent = z.object({
  event_id: z.number().int(),
  instance_id: z.string(),
  event_type: LifecycleEventType,
  from_status: InstanceStatus.nullable(),
  to_status: InstanceStatus.nullable(),
  source: EventSource,
  reason: TransitionReason.nullable(),
  confirmation_method: ConfirmationMethod.nullable(),
  cloud_instance_id: z.string().nullable(),
  metadata: Metadata.nullable(),
  created_at: Timestamp,
});
export type LifecycleEvent = z.infer<typeof LifecycleEvent>;

export const HistoryResponse = z.object({ events: z.array(LifecycleEvent) });
export type HistoryResponse = z.infer<typeof HistoryResponse>;

export const TerminatedListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  before: Timestamp.optional().describe('page: only instances terminated before this time'),
});
