import type {
  AgentList,
  ClientList,
  HistoryResponse,
  InstanceList,
  InterruptionList,
  LaunchRequest,
  LaunchResponse,
  PriceResponse,
  SavingsResponse,
  SessionView,
  TerminateResponse,
} from '@spot/contract';
import { request } from './http';

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
  interruptions: (active: boolean, signal?: AbortSignal) =>
    request<InterruptionList>(`/api/client/interruptions?active=${active}`, { signal }),
};
