import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tokens are 32 random bytes with a readable prefix telling their kind. Only their SHA-256
 * is stored: they are high-entropy, so a slow password hash would add nothing but latency
 * on every request.
 */
export type TokenKind = 'admin' | 'client' | 'agent' | 'session' | 'join';
const PREFIX: Record<TokenKind, string> = {
  admin: 'soa_',
  client: 'soc_',
  agent: 'sog_',
  session: 'sos_',
  /** One-time: the agent on a launched instance joins its workload with it (never a bearer). */
  join: 'soj_',
};

export function generateToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function tokenKind(token: string): TokenKind | null {
  for (const [kind, prefix] of Object.entries(PREFIX) as Array<[TokenKind, string]>) {
    if (token.startsWith(prefix)) return kind;
  }
  return null;
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
