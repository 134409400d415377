// IMDSv2 over HTTP for one simulated instance: `/imds/{instance-id}` + the normal IMDS paths.

import type { Simulator } from '../core/simulator.ts';
import { imdsAvailable, metadata } from './metadata.ts';
import { type ImdsTokens, parseTtl } from './tokens.ts';

export interface ImdsReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const plain = (status: number, body: string, headers: Record<string, string> = {}): ImdsReply => ({
  status,
  headers: { 'content-type': 'text/plain', ...headers },
  body,
});

export function handleImds(
  sim: Simulator,
  tokens: ImdsTokens,
  instanceId: string,
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
): ImdsReply {
  const inst = sim.get(instanceId);
  const now = sim.now();
  if (!imdsAvailable(inst, now)) return plain(404, 'Not Found');
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (path === '/latest/api/token') {
    if (method !== 'PUT') return plain(405, 'Method Not Allowed', { allow: 'PUT' });
    const ttl = parseTtl(header('x-aws-ec2-metadata-token-ttl-seconds'));
    if (ttl === undefined) return plain(400, 'Bad Request');
    return plain(200, tokens.issue(inst.id, ttl), { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
  }
  if (method !== 'GET' && method !== 'HEAD') return plain(405, 'Method Not Allowed', { allow: 'GET' });
  if (!tokens.valid(header('x-aws-ec2-metadata-token'), inst.id)) return plain(401, 'Unauthorized');
  const found = metadata(path, { inst, now, region: sim.catalog.region, clock: sim.clock });
  if (!found) return plain(404, 'Not Found');
  return {
    status: 200,
    headers: { 'content-type': found.json ? 'application/json' : 'text/plain' },
    body: found.body,
  };
}
