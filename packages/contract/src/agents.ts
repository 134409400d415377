import { z } from 'zod';
import {
  AvailabilityZone,
  CloudInstanceId,
  Id,
  InstanceType,
  Metadata,
  Name,
  Region,
  Timestamp,
} from './common.ts';
import { AgentStatus, CommandStatus, CommandType, Market } from './enums.ts';

export const AgentParams = z.object({ agent_id: Id });
export const CommandParams = z.object({ agent_id: Id, command_id: Id });

export const RegisterRequest = z.object({
  logical_id: Name,
  instance_type: InstanceType.optional(),
  availability_zone: AvailabilityZone.optional(),
  region: Region.optional(),
  cloud_instance_id: CloudInstanceId.optional(),
  agent_version: z.string().max(64).optional(),
  market: Market.optional().describe(
    "the agent's own instance's market (IMDS instance-life-cycle); an adopted instance is billed by it (default spot)",
  ),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const RegisterResponse = z.object({
  agent_id: z.string(),
  agent_token: z.string(),
  logical_id: z.string(),
  /** The instance record this agent's own EC2 instance maps to, when known. */
  instance_id: z.string().nullable(),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

export const HeartbeatRequest = z.object({
  cloud_instance_id: CloudInstanceId.optional(),
  instance_type: InstanceType.optional(),
  availability_zone: AvailabilityZone.optional(),
  uptime_seconds: z.number().nonnegative().optional(),
  inflight_commands: z.number().int().nonnegative().optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const HeartbeatResponse = z.object({
  ok: z.literal(true),
  agent_status: AgentStatus,
  server_time: Timestamp,
  pending_commands: z.number().int(),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

export const PendingCommandsQuery = z.object({
  wait: z.coerce.number().min(0).max(60).default(0).describe('long-poll: seconds to wait for a command'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

/** Payloads by command type. The agent validates the one it receives. */
export const LaunchInstanceMetadata = z.object({
  instance_id: z.string(),
  instance_type: InstanceType,
  availability_zone: AvailabilityZone.nullable().optional(),
  region: Region.nullable().optional(),
  market: z.enum(['spot', 'on-demand']),
  logical_id: z.string(),
  role: z.enum(['PRIMARY', 'REPLICA']),
  join_token: z
    .string()
    .optional()
    .describe(
      'one-time token for the user data: the agent on the new instance joins this workload with it (POST /api/agents/join)',
    ),
});
export type LaunchInstanceMetadata = z.infer<typeof LaunchInstanceMetadata>;

export const TerminateInstanceMetadata = z.object({
  instance_id: z.string(),
  cloud_instance_id: z.string().nullable(),
  reason: z.string().nullable().optional(),
});
export type TerminateInstanceMetadata = z.infer<typeof TerminateInstanceMetadata>;

/**
 * PROMOTE_REPLICA, run by the agent ON the replica being promoted: the cut-over. With an
 * Elastic IP it moves the address to its own instance (AssociateAddress, AllowReassociation)
 * and reports when the move started and ended; the server records the promotion after.
 */
export const PromoteReplicaMetadata = z.object({
  switch_id: z.string(),
  instance_id: z.string(),
  cloud_instance_id: z.string(),
  from_instance_id: z.string().nullable(),
  from_cloud_instance_id: z.string().nullable(),
  elastic_ip_allocation_id: z.string().nullable(),
});
export type PromoteReplicaMetadata = z.infer<typeof PromoteReplicaMetadata>;

/** Every command type → its payload schema: the agent's executors are keyed by this map. */
export const CommandPayloads = {
  LAUNCH_INSTANCE: LaunchInstanceMetadata,
  TERMINATE_INSTANCE: TerminateInstanceMetadata,
  PROMOTE_REPLICA: PromoteReplicaMetadata,
} satisfies Record<CommandType, z.ZodType>;
export type CommandPayload<T extends CommandType> = z.infer<(typeof CommandPayloads)[T]>;

export const Command = z.object({
  id: z.string(),
  command_type: CommandType,
  priority: z.number().int(),
  request_id: z.string(),
  metadata: Metadata,
  created_at: Timestamp,
});
export type Command = z.infer<typeof Command>;

export const PendingCommandsResponse = z.object({ commands: z.array(Command) });
export type PendingCommandsResponse = z.infer<typeof PendingCommandsResponse>;

export const CommandResultRequest = z.object({
  success: z.boolean(),
  message: z.string().max(2000).optional(),
  result: z
    .object({
      cloud_instance_id: CloudInstanceId.optional(),
      error_code: z.string().max(128).optional(),
      cutover_started_at: Timestamp.optional().describe('PROMOTE_REPLICA: just before the address moved'),
      cutover_completed_at: Timestamp.optional().describe('PROMOTE_REPLICA: once AWS accepted the move'),
    })
    .catchall(z.unknown())
    .optional(),
});
export type CommandResultRequest = z.infer<typeof CommandResultRequest>;

export const CommandResultResponse = z.object({
  command_id: z.string(),
  status: CommandStatus,
  duplicate: z.boolean(),
});
export type CommandResultResponse = z.infer<typeof CommandResultResponse>;

export const InstanceLaunchedRequest = z.object({
  instance_id: Id,
  cloud_instance_id: CloudInstanceId,
  state: z.literal('running'),
  instance_type: InstanceType.optional(),
  availability_zone: AvailabilityZone.optional(),
  confirmed_at: Timestamp.optional().describe('when the agent saw the instance running; defaults to receipt'),
});
export type InstanceLaunchedRequest = z.infer<typeof InstanceLaunchedRequest>;

export const InstanceTerminatedRequest = z.object({
  instance_id: Id,
  cloud_instance_id: CloudInstanceId.optional(),
  state: z.literal('terminated'),
  confirmed_at: Timestamp.optional(),
  source: z
    .enum(['agent', 'external'])
    .default('agent')
    .describe('external: AWS reclaimed it (spot interruption)'),
});
export type InstanceTerminatedRequest = z.input<typeof InstanceTerminatedRequest>;

/** Answer to both confirmations: outcome tells first / duplicate / late. */
export const ConfirmationResponse = z.object({
  instance_id: z.string(),
  status: z.string(),
  outcome: z.enum(['applied', 'duplicate', 'late']),
});
export type ConfirmationResponse = z.infer<typeof ConfirmationResponse>;

export const TerminationNoticeRequest = z.object({
  cloud_instance_id: CloudInstanceId,
  instance_id: Id.optional(),
  action: z.enum(['terminate', 'stop', 'hibernate']),
  time: Timestamp.describe('the instance-action time: when AWS will act'),
  detected_at: Timestamp.optional(),
});
export type TerminationNoticeRequest = z.infer<typeof TerminationNoticeRequest>;

export const RebalanceNoticeRequest = z.object({
  cloud_instance_id: CloudInstanceId,
  instance_id: Id.optional(),
  notice_time: Timestamp,
  detected_at: Timestamp.optional(),
});
export type RebalanceNoticeRequest = z.infer<typeof RebalanceNoticeRequest>;

export const NoticeResponse = z.object({
  interruption_id: z.string(),
  duplicate: z.boolean(),
});
export type NoticeResponse = z.infer<typeof NoticeResponse>;

export const PricePoint = z.object({
  instance_type: InstanceType,
  availability_zone: AvailabilityZone,
  region: Region.optional(),
  product_description: z.string().max(64).default('Linux/UNIX'),
  spot_price: z.number().positive().max(10000),
  timestamp: Timestamp,
});
export type PricePoint = z.input<typeof PricePoint>;

export const PricingReportRequest = z.object({
  prices: z.array(PricePoint).min(1).max(1000),
  reporter_role: z.enum(['PRIMARY', 'REPLICA']).optional(),
});
export type PricingReportRequest = z.input<typeof PricingReportRequest>;

export const PricingReportResponse = z.object({ accepted: z.number().int() });

export const AgentView = z.object({
  agent_id: z.string(),
  logical_id: z.string(),
  status: AgentStatus,
  last_heartbeat_at: Timestamp.nullable(),
  instance_type: z.string().nullable(),
  availability_zone: z.string().nullable(),
  region: z.string().nullable(),
  cloud_instance_id: z.string().nullable(),
  active_instances: z.number().int(),
  created_at: Timestamp,
});
export type AgentView = z.infer<typeof AgentView>;

export const AgentList = z.object({ agents: z.array(AgentView) });
export type AgentList = z.infer<typeof AgentList>;
