import type { InstanceIdentity } from '../imds/identity.ts';
import type { AgentApi } from '../server-client/agent-api.ts';

/** POST …/heartbeat: keeps the agent ONLINE and reports what it runs on. */
export function heartbeatTask(
  api: AgentApi,
  identity: InstanceIdentity,
  inflight: () => number,
  startedAt: number,
) {
  return async (signal: AbortSignal) => {
    await api.heartbeat(
      {
        cloud_instance_id: identity.instanceId,
        instance_type: identity.instanceType,
        availability_zone: identity.availabilityZone,
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        inflight_commands: inflight(),
      },
      signal,
    );
  };
}
