import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

// PostgreSQL text cannot hold U+0000; the fuzz test found a client name "\u0000" answered 500.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('NUL characters', () => {
  it('are refused in JSON bodies with a clear 400, and nothing is written', async () => {
    const before = await t.request('GET', '/api/admin/clients', { token: ADMIN_TOKEN });
    for (const body of ['{"name":"a\\u0000b"}', '{"name":"ok","\\u0000":1}', '{"name":["x\\u0000"]}']) {
      const res = await t.request('POST', '/api/admin/clients', { token: ADMIN_TOKEN, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_JSON');
      expect(res.body.error.message).toMatch(/NUL/);
    }
    const after = await t.request('GET', '/api/admin/clients', { token: ADMIN_TOKEN });
    expect(after.body.clients).toEqual(before.body.clients);
    // An escaped backslash followed by "u0000" is not a NUL and is accepted.
    const fine = await t.request('POST', '/api/admin/clients', {
      token: ADMIN_TOKEN,
      body: '{"name":"back\\\\u0000slash"}',
    });
    expect(fine.status).toBe(201);
    expect(fine.body.name).toBe('back\\u0000slash');
  });

  it('are refused in query strings with a 400, not a 500', async () => {
    const tenant = await t.newTenant();
    const res = await t.request('GET', '/api/client/prices?instance_type=c5%00large', {
      token: tenant.token,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });
});
