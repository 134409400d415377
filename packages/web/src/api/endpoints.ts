import type {
  AgentConfig,
  AgentConfigUpdate,
  AgentList,
  AgentSavingsDetail,
  AgentSavingsList,
  ClientList,
  DecisionList,
  DowntimeAnalytics,
  HistoryResponse,
  InstanceList,
  InterruptionList,
  LaunchRequest,
  LaunchResponse,
  PriceResponse,
  ReplicaRequest,
  ReplicaResponse,
  SavingsResponse,
  SessionView,
  SwitchList,
  SwitchRequest,
  SwitchStarted,
  TerminateResponse,
} from '@spot/contract';
import { request } from './http';

const agentPath = (agentId: string) => `/api/client/agents/${encodeURIComponent(agentId)}`;

/** The server routes the dashboard uses, typed by the contract (docs/api.md). */
export const api = {
  login: (token: string) => request<SessionView>('/api/auth/login', { method: 'POST', body: { token } }),
  logout: () => request<{ ok: true }>('/api/auth/logout', { method: 'POST', body: {} }),
  me: () => request<SessionView>('/api/auth/me'),
  clients: () => request<ClientList>('/api/admin/clients'),

  instances: (signal?: AbortSignal) => request<InstanceList>('/api/client/instances', { signal }),
  terminated: (limit = 200, signal?: AbortSignal) =>
    request<InstanceList>(`/api/client/instances/terminated?limit=${limit}`, { signal }),
  history: (instanceId: string, signal?: AbortSignal) =>
    request<HistoryResponse>(`/api/client/instances/${encodeURIComponent(instanceId)}/history`, { signal }),
  launch: (body: LaunchRequest, idempotencyKey: string) =>
    request<LaunchResponse>('/api/client/instances/launch', { method: 'POST', body, idempotencyKey }),
  terminate: (instanceId: string, reason: string, idempotencyKey: string) =>
    request<TerminateResponse>(`/api/client/instances/${encodeURIComponent(instanceId)}/terminate`, {
      method: 'POST',
      body: { reason },
      idempotencyKey,
    }),
  agents: (signal?: AbortSignal) => request<AgentList>('/api/client/agents', { signal }),
  prices: (hours = 24, signal?: AbortSignal) =>
    request<PriceResponse>(`/api/client/prices?hours=${hours}`, { signal }),
  savings: (signal?: AbortSignal) => request<SavingsResponse>('/api/client/savings', { signal }),
  /** Per-agent savings and replica ROI over the last `hours` (server default 720). */
  agentSavings: (hours = 720, signal?: AbortSignal) =>
    request<AgentSavingsList>(`/api/client/savings/agents?hours=${hours}`, { signal }),
  decisions: (limit = 50, signal?: AbortSignal) =>
    request<DecisionList>(`/api/client/decisions?limit=${limit}`, { signal }),
  interruptions: (active: boolean, signal?: AbortSignal) =>
    request<InterruptionList>(`/api/client/interruptions?active=${active}`, { signal }),

  // Moving workloads (switching.ts in the contract)
  agentConfig: (agentId: string, signal?: AbortSignal) =>
    request<AgentConfig>(`${agentPath(agentId)}/config`, { signal }),
  putAgentConfig: (agentId: string, body: AgentConfigUpdate) =>
    request<AgentConfig>(`${agentPath(agentId)}/config`, { method: 'PUT', body }),
  switchPool: (agentId: string, body: SwitchRequest, idempotencyKey: string) =>
    request<SwitchStarted>(`${agentPath(agentId)}/switch`, { method: 'POST', body, idempotencyKey }),
  addReplica: (agentId: string, body: ReplicaRequest, idempotencyKey: string) =>
    request<ReplicaResponse>(`${agentPath(agentId)}/replicas`, { method: 'POST', body, idempotencyKey }),
  promote: (instanceId: string, reason: string | undefined, idempotencyKey: string) =>
    request<SwitchStarted>(`/api/client/instances/${encodeURIComponent(instanceId)}/promote`, {
      method: 'POST',
      body: reason ? { reason } : {},
      idempotencyKey,
    }),
  switches: (q: { agent_id?: string; limit?: number; before?: string }, signal?: AbortSignal) => {
    const params = new URLSearchParams();
    if (q.agent_id) params.set('agent_id', q.agent_id);
    params.set('limit', String(q.limit ?? 100));
    if (q.before) params.set('before', q.before);
    return request<SwitchList>(`/api/client/switches?${params}`, { signal });
  },
  agentSavingsDetail: (agentId: string, hours = 720, signal?: AbortSignal) =>
    request<AgentSavingsDetail>(`${agentPath(agentId)}/savings?hours=${hours}`, { signal }),
  downtime: (hours = 24, signal?: AbortSignal) =>
    request<DowntimeAnalytics>(`/api/client/analytics/downtime?hours=${hours}`, { signal }),
};
