/** Who is calling. Resolved once per request from a bearer token or the session cookie. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'client'; clientId: string; clientName: string }
  | {
      kind: 'agent';
      agentId: string;
      clientId: string;
      logicalId: string;
      /** The instance this agent process runs on, when known: commands aimed at it reach only it. */
      instanceId: string | null;
    };

/** Stable key for idempotency records, rate limits and the audit log. Never the token. */
export function principalKey(p: Principal): string {
  switch (p.kind) {
    case 'admin':
      return 'admin';
    case 'client':
      return `client:${p.clientId}`;
    case 'agent':
      return `agent:${p.agentId}`;
  }
}
