import { ErrorBody, LoginRequest, SessionView } from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../../auth/auth-service.ts';
import type { Principal } from '../../auth/principal.ts';
import { DomainError } from '../../domain/errors.ts';
import { SESSION_COOKIE } from '../auth.ts';

const view = (p: Principal): SessionView =>
  p.kind === 'client'
    ? { role: 'client', client_id: p.clientId, client_name: p.clientName }
    : { role: 'admin', client_id: null, client_name: null };

/** Dashboard sign-in: a token in the body once, then an HttpOnly cookie; no token in any URL. */
export const sessionRoutes =
  (auth: AuthService, sessionTtlMs: number): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/api/auth/login',
      {
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          tags: ['session'],
          summary: 'Sign in with an admin or client token; sets the session cookie',
          body: LoginRequest,
          response: { 200: SessionView, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request, reply) => {
        const p = await auth.resolveBearer(request.body.token);
        if (!p || p.kind === 'agent') throw new DomainError('UNAUTHORIZED', 'unknown token');
        const session = await auth.createSession(p, sessionTtlMs);
        reply.setCookie(SESSION_COOKIE, session, {
          httpOnly: true,
          sameSite: 'strict',
          path: '/',
          secure: request.protocol === 'https',
          maxAge: Math.floor(sessionTtlMs / 1000),
        });
        return view(p);
      },
    );

    app.post(
      '/api/auth/logout',
      {
        schema: {
          tags: ['session'],
          summary: 'Sign out',
          response: { 200: z.object({ ok: z.literal(true) }) },
        },
      },
      async (request, reply) => {
        const token = request.cookies[SESSION_COOKIE];
        if (token) await auth.deleteSession(token);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true as const };
      },
    );

    app.get(
      '/api/auth/me',
      {
        schema: {
          tags: ['session'],
          summary: 'Who the session is',
          response: { 200: SessionView, 401: ErrorBody },
        },
      },
      async (request) => {
        const p = request.principal;
        if (!p || p.kind === 'agent') throw new DomainError('UNAUTHORIZED', 'not signed in');
        return view(p);
      },
    );
  };
