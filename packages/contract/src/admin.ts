import { z } from 'zod';
import { Timestamp } from './common.ts';

export const CreateClientRequest = z.object({
  name: z.string().trim().min(1).max(100),
  token: z
    .string()
    .regex(/^[\x21-\x7e]{24,200}$/, '24-200 printable characters')
    // Generated admin, agent and session tokens carry these prefixes, and authentication
    // routes a token by its prefix: a client token wearing one could never sign in.
    .regex(/^(?!so[agsj]_)/, 'must not start with soa_, sog_, sos_ or soj_ (reserved for generated tokens)')
    .optional()
    .describe('bring your own client token (e.g. DEMO_CLIENT_TOKEN); default: generated'),
});
export type CreateClientRequest = z.infer<typeof CreateClientRequest>;

export const ClientView = z.object({ id: z.string(), name: z.string(), created_at: Timestamp });
export type ClientView = z.infer<typeof ClientView>;

export const CreateClientResponse = z.object({
  id: z.string(),
  name: z.string(),
  /** Shown once; only its hash is stored. */
  token: z.string(),
});
export type CreateClientResponse = z.infer<typeof CreateClientResponse>;

export const ClientList = z.object({ clients: z.array(ClientView) });
export type ClientList = z.infer<typeof ClientList>;

/** Dashboard sign-in: the token goes in the body once, then an HttpOnly cookie carries the session. */
export const LoginRequest = z.object({ token: z.string().min(10).max(200) });
export const SessionView = z.object({
  role: z.enum(['admin', 'client']),
  client_id: z.string().nullable(),
  client_name: z.string().nullable(),
});
export type SessionView = z.infer<typeof SessionView>;

export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  database: z.enum(['pglite', 'postgres']),
  version: z.string(),
  uptime_seconds: z.number(),
});
