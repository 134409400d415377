import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ClientService } from '../services/client-service.ts';
import { requireClient } from './auth.ts';
import { idempotencyKeyOf } from './idempotency.ts';

const AWS_TOKEN_RE = /^[\x21-\x7e]{1,64}$/;

/** The tenant a client route acts for (a client token's own, or the admin's X-Client-Id). */
export const tenantOf = (clients: ClientService) => (request: FastifyRequest) =>
  requireClient(request, async (id) => Boolean(await clients.get(id)));

/** The command's request id becomes RunInstances' ClientToken (≤ 64 ASCII characters). */
export function requestIdOf(request: FastifyRequest): string {
  const key = idempotencyKeyOf(request);
  return key && AWS_TOKEN_RE.test(key) ? key : randomUUID();
}
