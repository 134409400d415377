import type { RegisterResponse } from '@spot/contract';
import type { TestServer } from './server.ts';

/** The lifecycle calls as an agent and a client make them, over HTTP (Fastify inject). */
export function lifecycleCalls(t: TestServer, clientToken: string, agent: RegisterResponse) {
  const asAgent = { token: agent.agent_token };
  const base = `/api/agents/${agent.agent_id}`;
  return {
    launch: (extra: Record<string, unknown> = {}) =>
      t.request('POST', '/api/client/instances/launch', {
        token: clientToken,
        body: {
          agent_id: agent.agent_id,
          instance_type: 't3.medium',
          availability_zone: 'us-east-1a',
          ...extra,
        },
      }),
    terminate: (instanceId: string, reason?: string) =>
      t.request('POST', `/api/client/instances/${instanceId}/terminate`, {
        token: clientToken,
        body: reason ? { reason } : {},
      }),
    get: (instanceId: string) =>
      t.request('GET', `/api/client/instances/${instanceId}`, { token: clientToken }),
    history: (instanceId: string) =>
      t.request('GET', `/api/client/instances/${instanceId}/history`, { token: clientToken }),
    launched: (instanceId: string, cloudId: string) =>
      t.request('POST', `${base}/instance-launched`, {
        ...asAgent,
        body: { instance_id: instanceId, cloud_instance_id: cloudId, state: 'running' },
      }),
    terminated: (instanceId: string, opts: { cloudId?: string; source?: 'agent' | 'external' } = {}) =>
      t.request('POST', `${base}/instance-terminated`, {
        ...asAgent,
        body: {
          instance_id: instanceId,
          state: 'terminated',
          ...(opts.cloudId ? { cloud_instance_id: opts.cloudId } : {}),
          ...(opts.source ? { source: opts.source } : {}),
        },
      }),
    result: (commandId: string, body: Record<string, unknown>) =>
      t.request('POST', `${base}/commands/${commandId}/result`, { ...asAgent, body }),
  };
}
