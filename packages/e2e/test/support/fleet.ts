import type { Stack, Tenant } from './stack.ts';

/** Small helpers over the public APIs, shared by the agent e2e tests and the benchmark. */
export interface SimInstance {
  instance_id: string;
  state: string;
  instance_type: string;
  availability_zone: string;
  market: string;
  launch_time: string;
  client_token: string | null;
  tags: Record<string, string>;
  state_reason: string | null;
}

export async function simInstances(stack: Stack): Promise<SimInstance[]> {
  return (await stack.sim_('GET', '/_sim/instances')).instances as SimInstance[];
}

/** Simulated instances carrying our instance id tag (what the agent launched for it). */
export async function simInstancesFor(stack: Stack, instanceId: string): Promise<SimInstance[]> {
  return (await simInstances(stack)).filter((i) => i.tags['spot-optimizer:instance-id'] === instanceId);
}

export async function launch(
  stack: Stack,
  tenant: Tenant,
  body: Record<string, unknown>,
  idempotencyKey?: string,
): Promise<{ instance_id: string; command_id: string }> {
  const res = await fetch(`${stack.serverUrl}/api/client/instances/launch`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tenant.token}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`launch → ${res.status} ${await res.text()}`);
  return (await res.json()) as { instance_id: string; command_id: string };
}

export async function instance(stack: Stack, tenant: Tenant, id: string): Promise<Record<string, unknown>> {
  return stack.api('GET', `/api/client/instances/${id}`, tenant.token);
}

export async function history(stack: Stack, tenant: Tenant, id: string): Promise<Record<string, unknown>[]> {
  return (await stack.api('GET', `/api/client/instances/${id}/history`, tenant.token)).events as Record<
    string,
    unknown
  >[];
}
