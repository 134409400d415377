import { z } from 'zod';
import { AvailabilityZone, Id, InstanceType, Timestamp } from './common.ts';
import { Market } from './enums.ts';

/**
 * Moving a workload: its config, switches between pools, replicas and promotion, and the
 * downtime analytics that judge them (issue "the optimizer's hands", DESIGN §9).
 */

export const AgentMode = z
  .enum(['observe', 'auto_switch', 'manual_replica'])
  .describe('one field, so "auto-switch and manual replica are mutually exclusive" holds by construction');
export type AgentMode = z.infer<typeof AgentMode>;

export const RebalanceResponse = z.enum(['replica', 'mark', 'ignore']);
export type RebalanceResponse = z.infer<typeof RebalanceResponse>;

export const CandidatePool = z.object({ instance_type: InstanceType, availability_zone: AvailabilityZone });
export type CandidatePool = z.infer<typeof CandidatePool>;

export const ElasticIpAllocationId = z
  .string()
  .regex(/^eipalloc-[0-9a-f]{1,32}$/, 'an Elastic IP allocation id such as eipalloc-0abc123');

const configFields = {
  mode: AgentMode,
  candidate_pools: z.array(CandidatePool).max(64),
  min_savings_percent: z.number().min(0).max(100),
  on_rebalance: RebalanceResponse,
  on_demand_fallback: z.boolean(),
  elastic_ip_allocation_id: ElasticIpAllocationId.nullable().optional(),
};

export const AgentConfig = z.object({
  agent_id: z.string(),
  ...configFields,
  elastic_ip_allocation_id: ElasticIpAllocationId.nullable(),
  version: z.number().int(),
  updated_at: Timestamp,
});
export type AgentConfig = z.infer<typeof AgentConfig>;

/** PUT …/config: the whole config, with the `version` the caller read (optimistic lock). */
export const AgentConfigUpdate = z
  .object({
    ...configFields,
    version: z.number().int().min(0).describe('the version read; a stale one gets 409 VERSION_CONFLICT'),
  })
  .refine(
    (c) =>
      new Set(c.candidate_pools.map((p) => `${p.instance_type}@${p.availability_zone}`)).size ===
      c.candidate_pools.length,
    { message: 'candidate_pools lists a pool twice', path: ['candidate_pools'] },
  );
export type AgentConfigUpdate = z.infer<typeof AgentConfigUpdate>;

export const SwitchTrigger = z.enum([
  'manual',
  'decision',
  'rebalance',
  'termination_notice',
  'fallback',
  'return_to_spot',
]);
export type SwitchTrigger = z.infer<typeof SwitchTrigger>;

export const SwitchStatus = z.enum(['IN_PROGRESS', 'COMPLETED', 'FAILED']);
export type SwitchStatus = z.infer<typeof SwitchStatus>;

export const SwitchRequest = z.object({
  instance_type: InstanceType,
  availability_zone: AvailabilityZone.optional(),
  market: Market.default('spot'),
  reason: z.string().max(200).optional(),
});
export type SwitchRequest = z.input<typeof SwitchRequest>;

export const SwitchStarted = z.object({
  switch_id: z.string(),
  agent_id: z.string(),
  status: z.literal('IN_PROGRESS'),
  command_id: z.string().describe('the launch of the target, or the promotion of a ready replica'),
});
export type SwitchStarted = z.infer<typeof SwitchStarted>;

export const PoolRef = z.object({
  instance_type: z.string(),
  availability_zone: z.string().nullable(),
  market: Market,
});
export type PoolRef = z.infer<typeof PoolRef>;

export const SwitchView = z.object({
  switch_id: z.string(),
  agent_id: z.string(),
  trigger: SwitchTrigger,
  status: SwitchStatus,
  phase: z.string().describe('the process manager state: launching, promoting, completed, failed'),
  from_instance_id: z.string().nullable(),
  to_instance_id: z.string().nullable(),
  from_pool: PoolRef.nullable(),
  to_pool: PoolRef,
  from_price: z.number().nullable(),
  to_price: z.number().nullable(),
  requested_at: Timestamp,
  completed_at: Timestamp.nullable(),
  downtime_seconds: z.number().nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  reason: z.string().nullable(),
});
export type SwitchView = z.infer<typeof SwitchView>;

export const SwitchList = z.object({ switches: z.array(SwitchView) });
export type SwitchList = z.infer<typeof SwitchList>;

export const SwitchListQuery = z.object({
  agent_id: Id.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: Timestamp.optional().describe('page: only switches requested before this time'),
});

export const ReplicaRequest = z.object({
  instance_type: InstanceType,
  availability_zone: AvailabilityZone.optional(),
});
export type ReplicaRequest = z.infer<typeof ReplicaRequest>;

export const PromoteRequest = z.object({ reason: z.string().max(200).optional() });
export type PromoteRequest = z.infer<typeof PromoteRequest>;

export const ReplicaResponse = z.object({
  instance_id: z.string(),
  agent_id: z.string(),
  status: z.literal('LAUNCHING'),
  role: z.literal('REPLICA'),
  command_id: z.string(),
});
export type ReplicaResponse = z.infer<typeof ReplicaResponse>;

export const DowntimeStats = z.object({
  count: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  success_rate: z.number().nullable(),
  avg_seconds: z.number().nullable(),
  p50_seconds: z.number().nullable(),
  p95_seconds: z.number().nullable(),
  min_seconds: z.number().nullable(),
  max_seconds: z.number().nullable(),
});
export type DowntimeStats = z.infer<typeof DowntimeStats>;

export const DowntimeAnalytics = z.object({
  hours: z.number(),
  overall: DowntimeStats,
  by_trigger: z.record(z.string(), DowntimeStats),
});
export type DowntimeAnalytics = z.infer<typeof DowntimeAnalytics>;

export const DowntimeQuery = z.object({
  hours: z.coerce
    .number()
    .positive()
    .max(24 * 366)
    .default(24),
});

/** `POST /api/agents/join`: the agent on an instance the product launched joins its workload. */
export const JoinRequest = z.object({
  join_token: z.string().min(20).max(200).describe('the one-time token from the instance user data'),
  cloud_instance_id: z
    .string()
    .regex(/^i-[0-9a-f]+$/)
    .max(40),
  instance_type: InstanceType.optional(),
  availability_zone: AvailabilityZone.optional(),
  agent_version: z.string().max(64).optional(),
});
export type JoinRequest = z.infer<typeof JoinRequest>;

export const JoinResponse = z.object({
  agent_id: z.string(),
  agent_token: z.string(),
  logical_id: z.string(),
  instance_id: z.string(),
  role: z.enum(['PRIMARY', 'REPLICA', 'ZOMBIE']),
});
export type JoinResponse = z.infer<typeof JoinResponse>;
