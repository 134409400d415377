/**
 * The user data of an instance the product launches: a shell script that starts the agent
 * with the workload's one-time join token (DESIGN §3, §9). cloud-init runs it on a real
 * instance; in the demo, the launcher plays cloud-init. The agent can also read the same
 * variables back from IMDS `/latest/user-data` when they are not in its environment.
 */
export interface AgentBootstrap {
  serverUrl: string;
  joinToken: string;
  logicalId: string;
}

const MARKER = '# spot-optimizer agent bootstrap';
const VARS = {
  SPOT_SERVER_URL: 'serverUrl',
  SPOT_JOIN_TOKEN: 'joinToken',
  SPOT_LOGICAL_ID: 'logicalId',
} as const;

/** Values are restricted to characters that need no shell quoting (URLs, tokens, names). */
const SAFE = /^[\w.:/@+=~%-]+$/;

export function buildBootstrapUserData(b: AgentBootstrap): string {
  const lines = ['#!/bin/sh', MARKER];
  for (const [name, key] of Object.entries(VARS)) {
    const value = b[key];
    if (!SAFE.test(value)) throw new Error(`${name} has characters user data cannot carry safely`);
    lines.push(`export ${name}=${value}`);
  }
  lines.push('exec spot-agent', '');
  return lines.join('\n');
}

/** The bootstrap in some user data, or null when it has none (not ours, or malformed). */
export function parseBootstrapUserData(userData: string): AgentBootstrap | null {
  if (!userData.includes(MARKER)) return null;
  const found: Partial<AgentBootstrap> = {};
  for (const line of userData.split('\n')) {
    const m = /^export (SPOT_[A-Z_]+)=(\S+)$/.exec(line.trim());
    if (!m) continue;
    const key = VARS[m[1] as keyof typeof VARS];
    if (key && SAFE.test(m[2]!)) found[key] = m[2]!;
  }
  return found.serverUrl && found.joinToken && found.logicalId ? (found as AgentBootstrap) : null;
}
