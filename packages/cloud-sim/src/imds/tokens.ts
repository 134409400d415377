// IMDSv2 session tokens. TTLs run on the REAL clock, not the simulated one: a TTL is a promise to the
// client process about its own cache lifetime, and an agent caching a 6-hour token must not see it
// expire after 6 real minutes because the simulation runs at speed 60.

import { randomBytes } from 'node:crypto';

const MAX_TOKENS = 10_000;

export class ImdsTokens {
  private readonly tokens = new Map<string, { instanceId: string; expiresAt: number }>();

  constructor(private readonly realNow: () => number = Date.now) {}

  issue(instanceId: string, ttlSeconds: number): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { instanceId, expiresAt: this.realNow() + ttlSeconds * 1000 });
    // Clients such as @aws-sdk/ec2-metadata-service fetch a token per request: bound the memory.
    while (this.tokens.size > MAX_TOKENS) {
      const oldest = this.tokens.keys().next().value;
      if (oldest === undefined) break;
      this.tokens.delete(oldest);
    }
    return token;
  }

  valid(token: string | undefined, instanceId: string): boolean {
    if (!token) return false;
    const t = this.tokens.get(token);
    if (!t) return false;
    if (t.expiresAt <= this.realNow()) {
      this.tokens.delete(token);
      return false;
    }
    return t.instanceId === instanceId;
  }
}

/** The TTL header must be an integer 1–21600 (IMDS answers 400 otherwise). */
export function parseTtl(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  const n = Number(header);
  return n >= 1 && n <= 21600 ? n : undefined;
}
