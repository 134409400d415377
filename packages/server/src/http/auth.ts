import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.ts';
import type { Principal } from '../auth/principal.ts';
import { DomainError } from '../domain/errors.ts';

export const SESSION_COOKIE = 'spot_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Reads the caller from `Authorization: Bearer …` or the dashboard's session cookie. */
export function installAuth(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const token = bearerOrCookie(request);
    request.principal = token ? await auth.resolveBearer(token) : null;
  });
}

export function bearerOrCookie(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return request.cookies?.[SESSION_COOKIE] ?? null;
}

const unauthorized = () => new DomainError('UNAUTHORIZED', 'missing or invalid credentials');

export function requireAdmin(request: FastifyRequest): void {
  const p = request.principal;
  if (!p) throw unauthorized();
  if (p.kind !== 'admin') throw new DomainError('FORBIDDEN', 'admin token required');
}

/**
 * The tenant a client-scoped request acts for: a client token's own tenant, or, for the
 * admin, the tenant named in `X-Client-Id`.
 */
export async function requireClient(
  request: FastifyRequest,
  clientExists: (id: string) => Promise<boolean>,
): Promise<string> {
  const p = request.principal;
  if (!p) throw unauthorized();
  if (p.kind === 'client') return p.clientId;
  if (p.kind === 'admin') {
    const id = request.headers['x-client-id'];
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id) || !(await clientExists(id))) {
      throw new DomainError(
        'VALIDATION_ERROR',
        'admin requests on client routes need an X-Client-Id header naming a client',
      );
    }
    return id;
  }
  throw new DomainError('FORBIDDEN', 'client token required');
}

/** Agent routes take only that agent's own token. */
export function requireAgent(
  request: FastifyRequest,
  agentId: string,
): { agentId: string; clientId: string; instanceId: string | null } {
  const p = request.principal;
  if (!p) throw unauthorized();
  if (p.kind !== 'agent') throw new DomainError('FORBIDDEN', 'agent token required');
  if (p.agentId !== agentId) throw new DomainError('FORBIDDEN', 'this token belongs to another agent');
  return { agentId: p.agentId, clientId: p.clientId, instanceId: p.instanceId };
}
