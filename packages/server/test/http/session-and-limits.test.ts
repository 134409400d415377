import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { SseClient } from '../support/sse-client.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ listen: true, env: { RATE_LIMIT_PER_MINUTE: '40' } });
});
afterAll(async () => {
  await t?.close();
});

function cookieOf(setCookie: unknown): string {
  const raw = Array.isArray(setCookie) ? setCookie[0] : String(setCookie);
  return raw.split(';')[0]!;
}

describe('dashboard session', () => {
  it('signs in with a client token into an HttpOnly cookie that works for REST and SSE, and signs out', async () => {
    const tenant = await t.newTenant('acme');
    const login = await t.request('POST', '/api/auth/login', { body: { token: tenant.token } });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ role: 'client', client_id: tenant.clientId, client_name: 'acme' });
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toContain(tenant.token);
    const cookie = cookieOf(login.headers['set-cookie']);

    const me = await t.request('GET', '/api/auth/me', { headers: { cookie } });
    expect(me.body.client_id).toBe(tenant.clientId);
    const list = await t.request('GET', '/api/client/instances', { headers: { cookie } });
    expect(list.status).toBe(200);
    const sse = await SseClient.open(`${t.url}/api/events/stream/${tenant.clientId}`, { cookie });
    expect(sse.status).toBe(200);
    sse.close();

    await t.request('POST', '/api/auth/logout', { headers: { cookie } });
    expect((await t.request('GET', '/api/auth/me', { headers: { cookie } })).status).toBe(401);
    expect((await t.request('GET', '/api/client/instances', { headers: { cookie } })).status).toBe(401);
  });

  it('refuses unknown tokens and agent tokens at sign-in', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    expect(
      (await t.request('POST', '/api/auth/login', { body: { token: 'soc_nope_nope_nope_nope' } })).status,
    ).toBe(401);
    expect((await t.request('POST', '/api/auth/login', { body: { token: agent.agent_token } })).status).toBe(
      401,
    );
  });

  it('lets an admin session act for a tenant named in X-Client-Id', async () => {
    const tenant = await t.newTenant();
    const login = await t.request('POST', '/api/auth/login', { body: { token: ADMIN_TOKEN } });
    expect(login.body.role).toBe('admin');
    const cookie = cookieOf(login.headers['set-cookie']);
    const without = await t.request('GET', '/api/client/instances', { headers: { cookie } });
    expect(without.status).toBe(400);
    const withId = await t.request('GET', '/api/client/instances', {
      headers: { cookie, 'x-client-id': tenant.clientId },
    });
    expect(withId.status).toBe(200);
  });
});

describe('rate limits', () => {
  it('answers 429 with the error shape once a credential exceeds its budget, per credential', async () => {
    const a = await t.newTenant();
    const b = await t.newTenant();
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++)
      statuses.push((await t.request('GET', '/api/client/instances', { token: a.token })).status);
    expect(statuses.filter((s) => s === 200).length).toBe(40);
    const limited = await t.request('GET', '/api/client/instances', { token: a.token });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(limited.body.error.message).toMatch(/rate limit/);
    // Another tenant's budget is its own.
    expect((await t.request('GET', '/api/client/instances', { token: b.token })).status).toBe(200);
  });
});

describe('operations endpoints', () => {
  it('serves health and Prometheus metrics', async () => {
    const health = await t.request('GET', '/health');
    expect(health.body).toMatchObject({ status: 'ok', database: t.db.kind });
    const metrics = await fetch(`${t.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain('spot_http_request_duration_seconds');
    expect(metrics).toContain('spot_sse_connections');
  });
});
