/** Minimal typed calls a test or benchmark makes as admin, client or (fake) agent. */
import type {
  ConfirmationResponse,
  CreateClientResponse,
  LaunchResponse,
  PendingCommandsResponse,
  RegisterResponse,
} from '@spot/contract';

export async function call<T>(
  base: string,
  path: string,
  token: string,
  body?: unknown,
  key?: string,
): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers['idempotency-key'] = key;
  const res = await fetch(base + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export interface FakeAgent {
  agentId: string;
  token: string;
}

export const createClient = (base: string, admin: string, name: string) =>
  call<CreateClientResponse>(base, '/api/admin/clients', admin, { name });

export async function registerAgent(
  base: string,
  clientToken: string,
  logicalId: string,
): Promise<FakeAgent> {
  const r = await call<RegisterResponse>(base, '/api/agents/register', clientToken, {
    logical_id: logicalId,
    instance_type: 't3.medium',
    availability_zone: 'us-east-1a',
    region: 'us-east-1',
  });
  return { agentId: r.agent_id, token: r.agent_token };
}

export const launch = (base: string, clientToken: string, agentId: string, type: string, az: string) =>
  call<LaunchResponse>(base, '/api/client/instances/launch', clientToken, {
    agent_id: agentId,
    instance_type: type,
    availability_zone: az,
    role: 'REPLICA',
  });

export const confirmLaunch = (base: string, a: FakeAgent, instanceId: string, cloudId: string) =>
  call<ConfirmationResponse>(base, `/api/agents/${a.agentId}/instance-launched`, a.token, {
    instance_id: instanceId,
    cloud_instance_id: cloudId,
    state: 'running',
  });

export const pendingCommands = (base: string, a: FakeAgent) =>
  call<PendingCommandsResponse>(base, `/api/agents/${a.agentId}/pending-commands?wait=0&limit=100`, a.token);

export const reportPrices = (
  base: string,
  a: FakeAgent,
  prices: { instance_type: string; availability_zone: string; spot_price: number; timestamp: string }[],
) => call<{ accepted: number }>(base, `/api/agents/${a.agentId}/pricing-report`, a.token, { prices });

export const cloudId = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
