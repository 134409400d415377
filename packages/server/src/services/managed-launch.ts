import { randomUUID } from 'node:crypto';
import type { EventSource, LaunchInstanceMetadata, TransitionReason } from '@spot/contract';
import { generateToken, hashToken } from '../auth/tokens.ts';
import type { Tx } from '../db/executor.ts';
import { type CommandRow, insertCommand } from '../repositories/commands.ts';
import type { InstanceRow } from '../repositories/instances.ts';
import { findLiveProcessInstance } from '../repositories/instances.ts';
import { insertJoinToken } from '../repositories/join-tokens.ts';
import type { ServiceContext } from './context.ts';
import { insertLaunchingInstance } from './lifecycle-service.ts';

/**
 * Every instance the product launches runs its own agent, which joins the workload with a
 * one-time token from the instance's user data (DESIGN §3, §9). Here, in one transaction:
 * the LAUNCHING instance, the token (only its hash is stored; the token itself travels once,
 * in the launch command, and is scrubbed from it when the command ends), and the command.
 */
export async function launchManagedInstance(
  tx: Tx,
  ctx: ServiceContext,
  p: {
    clientId: string;
    agent: { id: string; logical_id: string; region: string | null };
    role: 'PRIMARY' | 'REPLICA' | undefined;
    market: 'spot' | 'on-demand';
    instanceType: string;
    availabilityZone: string | null;
    region: string | null;
    priority: number;
    requestId: string;
    source: EventSource;
    reason: TransitionReason | null;
    metadata: Record<string, unknown>;
    at: Date;
  },
): Promise<{ row: InstanceRow; command: CommandRow }> {
  const row = await insertLaunchingInstance(tx, {
    clientId: p.clientId,
    agentId: p.agent.id,
    logicalId: p.agent.logical_id,
    role: p.role,
    market: p.market,
    instanceType: p.instanceType,
    availabilityZone: p.availabilityZone,
    region: p.region ?? p.agent.region,
    cloudInstanceId: null,
    source: p.source,
    reason: p.reason,
    metadata: p.metadata,
    at: p.at,
  });
  const joinToken = generateToken('join');
  await insertJoinToken(tx, {
    token_hash: hashToken(joinToken),
    client_id: p.clientId,
    agent_id: p.agent.id,
    instance_id: row.id,
    // Long enough for the command to wait in the queue, the instance to boot and its agent to start.
    expires_at: new Date(p.at.getTime() + ctx.timings.commandTtlMs + 2 * ctx.timings.launchTimeoutMs),
  });
  const metadata: LaunchInstanceMetadata = {
    instance_id: row.id,
    instance_type: p.instanceType,
    availability_zone: p.availabilityZone,
    region: row.region,
    market: p.market,
    logical_id: p.agent.logical_id,
    role: row.role as 'PRIMARY' | 'REPLICA',
    join_token: joinToken,
  };
  // Run by the primary's own agent when it has one: a process on a ZOMBIE or a replica may be
  // gone before it confirms (it is only taken over once that instance is gone, see claimCommands).
  const executor = await findLiveProcessInstance(tx, p.agent.id, row.id, null);
  const command = await insertCommand(tx, {
    id: randomUUID(),
    client_id: p.clientId,
    agent_id: p.agent.id,
    instance_id: row.id,
    command_type: 'LAUNCH_INSTANCE',
    priority: p.priority,
    request_id: p.requestId,
    metadata,
    expires_at: new Date(p.at.getTime() + ctx.timings.commandTtlMs),
    executor_instance_id: executor,
  });
  return { row, command };
}
