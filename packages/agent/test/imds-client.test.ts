import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readIdentity } from '../src/imds/identity.ts';
import { ImdsClient } from '../src/imds/imds-client.ts';

/** A small IMDSv2 on a real socket: tokens, 401 without one, 404 for missing items. */
function fakeImds(items: Record<string, string>) {
  const tokens = new Set<string>();
  const seen = { tokenPuts: 0, gets: 0, unauthorized: 0 };
  let n = 0;
  const server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!(ttl >= 1 && ttl <= 21600)) return res.writeHead(400).end();
      seen.tokenPuts++;
      const t = `tok-${++n}`;
      tokens.add(t);
      return res.writeHead(200).end(t);
    }
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (typeof token !== 'string' || !tokens.has(token)) {
      seen.unauthorized++;
      return res.writeHead(401).end();
    }
    seen.gets++;
    const item = items[req.url?.replace(/^\/latest\//, '') ?? ''];
    if (item === undefined) return res.writeHead(404).end();
    res.writeHead(200).end(item);
  });
  return { server, seen, revokeAll: () => tokens.clear() };
}

describe('IMDSv2 client', () => {
  let imds: ReturnType<typeof fakeImds>;
  let endpoint: string;
  const items: Record<string, string> = {
    'meta-data/instance-id': 'i-0123456789abcdef0',
    'meta-data/instance-type': 'c5.large',
    'meta-data/placement/availability-zone': 'us-east-1a',
    'meta-data/placement/region': 'us-east-1',
    'meta-data/spot/instance-action': '{"action":"terminate","time":"2026-01-01T00:02:00Z"}',
  };

  beforeEach(async () => {
    imds = fakeImds(items);
    await new Promise<void>((r) => imds.server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(imds.server.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    await new Promise((r) => (imds.server as Server).close(r));
  });

  it('fetches one token and reuses it for its TTL', async () => {
    const c = new ImdsClient({ endpoint });
    for (let i = 0; i < 5; i++) expect(await c.get('/meta-data/instance-id')).toBe('i-0123456789abcdef0');
    expect(imds.seen.tokenPuts).toBe(1);
    expect(imds.seen.gets).toBe(5);
  });

  it('fetches a new token once the old one expires', async () => {
    let now = 0;
    const c = new ImdsClient({ endpoint, tokenTtlSeconds: 60, now: () => now });
    await c.get('meta-data/instance-id');
    now += 50_000; // within the TTL minus the renewal margin (6 s)
    await c.get('meta-data/instance-id');
    expect(imds.seen.tokenPuts).toBe(1);
    now += 5_000;
    await c.get('meta-data/instance-id');
    expect(imds.seen.tokenPuts).toBe(2);
  });

  it('re-fetches the token when IMDS answers 401 (restarted, token revoked) and retries once', async () => {
    const c = new ImdsClient({ endpoint });
    await c.get('meta-data/instance-id');
    imds.revokeAll();
    expect(await c.get('meta-data/instance-type')).toBe('c5.large');
    expect(imds.seen.unauthorized).toBe(1);
    expect(imds.seen.tokenPuts).toBe(2);
  });

  it('answers null for a missing item (no notice yet), and shares one token among concurrent callers', async () => {
    const c = new ImdsClient({ endpoint });
    const [a, b] = await Promise.all([
      c.get('meta-data/events/recommendations/rebalance'),
      c.get('meta-data/spot/instance-action'),
    ]);
    expect(a).toBeNull();
    expect(JSON.parse(b ?? '')).toEqual({ action: 'terminate', time: '2026-01-01T00:02:00Z' });
    expect(imds.seen.tokenPuts).toBe(1);
  });

  it('reads and validates the instance identity', async () => {
    expect(await readIdentity(new ImdsClient({ endpoint }))).toEqual({
      instanceId: 'i-0123456789abcdef0',
      instanceType: 'c5.large',
      availabilityZone: 'us-east-1a',
      region: 'us-east-1',
    });
  });

  it('reads the market from instance-life-cycle when IMDS has it', async () => {
    const c = (v: string) => {
      items['meta-data/instance-life-cycle'] = v;
      return readIdentity(new ImdsClient({ endpoint }));
    };
    expect((await c('spot')).market).toBe('spot');
    expect((await c('on-demand')).market).toBe('on-demand');
    expect((await c('scheduled')).market).toBe('on-demand');
    delete items['meta-data/instance-life-cycle'];
  });

  it('fails clearly when IMDS is unreachable', async () => {
    const c = new ImdsClient({ endpoint: 'http://127.0.0.1:1', requestTimeoutMs: 500 });
    await expect(c.get('meta-data/instance-id')).rejects.toThrow(/IMDS unreachable/);
  });
});

describe('identity validation', () => {
  it('refuses an identity that is not an EC2 one', async () => {
    const bad = fakeImds({
      'meta-data/instance-id': 'not-an-id; rm -rf /',
      'meta-data/instance-type': 'c5.large',
      'meta-data/placement/availability-zone': 'us-east-1a',
    });
    await new Promise<void>((r) => bad.server.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(bad.server.address() as AddressInfo).port}`;
    try {
      await expect(readIdentity(new ImdsClient({ endpoint }))).rejects.toThrow(/instance-id is not valid/);
    } finally {
      await new Promise((r) => bad.server.close(r));
    }
  });
});
