import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

// Both found by running `npm start` (the demo) rather than by the suite: the server refused
// to boot with a dashboard bundle present, and a brought-own client token was refused right
// after a probe with it had failed.
let t: TestServer;
let dist: string;
beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'spot-web-dist-'));
  writeFileSync(
    join(dist, 'index.html'),
    '<!doctype html><title>Spot Optimizer</title><div id="root"></div>',
  );
  t = await startTestServer({ env: { WEB_DIST_DIR: dist } });
});
afterAll(async () => {
  await t?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('the dashboard bundle', () => {
  it('is served at / and for client-side routes, while unknown API paths keep their JSON 404', async () => {
    const root = await t.request('GET', '/');
    expect(root.status).toBe(200);
    expect(String(root.body)).toContain('<title>Spot Optimizer</title>');
    const deep = await t.request('GET', '/history');
    expect(deep.status).toBe(200);
    expect(String(deep.body)).toContain('id="root"');
    const api = await t.request('GET', '/api/nothing-here');
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe('NOT_FOUND');
    const post = await t.request('POST', '/history', { body: {} });
    expect(post.status).toBe(404);
    expect(post.body.error.code).toBe('NOT_FOUND');
  });
});

describe('a brought-own client token', () => {
  it('works at once even when a request with it was refused just before it was created', async () => {
    const token = `soc_${'k'.repeat(40)}`;
    const before = await t.request('GET', '/api/client/agents', { token });
    expect(before.status).toBe(401);
    const created = await t.request('POST', '/api/admin/clients', {
      token: ADMIN_TOKEN,
      body: { name: 'byo', token },
    });
    expect(created.status).toBe(201);
    const after = await t.request('GET', '/api/client/agents', { token });
    expect(after.status).toBe(200);
    const reg = await t.request('POST', '/api/agents/register', { token, body: { logical_id: 'web-1' } });
    expect(reg.status).toBe(200);
  });

  // Issue 12.1: the README lets a new user pick any 24–200 printable characters, and the
  // API accepted them, but authentication only recognised generated prefixes.
  it('authenticates an unprefixed token the API accepted, as a client and for agent registration', async () => {
    const token = 'newcomer-demo-token-0123456789';
    const created = await t.request('POST', '/api/admin/clients', {
      token: ADMIN_TOKEN,
      body: { name: 'newcomer', token },
    });
    expect(created.status).toBe(201);
    const agents = await t.request('GET', '/api/client/agents', { token });
    expect(agents.status).toBe(200);
    const reg = await t.request('POST', '/api/agents/register', { token, body: { logical_id: 'web-9' } });
    expect(reg.status).toBe(200);
    const login = await t.request('POST', '/api/auth/login', { body: { token } });
    expect([200, 204]).toContain(login.status);
  });

  it('refuses, when created, a token that could never authenticate, and one already taken', async () => {
    for (const token of [`soa_${'x'.repeat(30)}`, `sog_${'x'.repeat(30)}`, `sos_${'x'.repeat(30)}`]) {
      const res = await t.request('POST', '/api/admin/clients', {
        token: ADMIN_TOKEN,
        body: { name: 'reserved', token },
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.error)).toContain('reserved for generated tokens');
    }
    const token = 'shared-token-for-two-clients-0001';
    const first = await t.request('POST', '/api/admin/clients', {
      token: ADMIN_TOKEN,
      body: { name: 'a', token },
    });
    expect(first.status).toBe(201);
    const second = await t.request('POST', '/api/admin/clients', {
      token: ADMIN_TOKEN,
      body: { name: 'b', token },
    });
    expect(second.status).toBe(409);
    const list = await t.request('GET', '/api/admin/clients', { token: ADMIN_TOKEN });
    expect(list.body.clients.filter((c: { name: string }) => c.name === 'b')).toHaveLength(0);
  });
});
