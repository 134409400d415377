import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

// A server of its own: the address's budget is what this test spends.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { RATE_LIMIT_PER_MINUTE: '40' } });
});
afterAll(async () => {
  await t?.close();
});

describe('rate limits and made-up tokens', () => {
  it('counts unknown tokens against the address, so a fresh fake token per request gains nothing', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 42; i++) {
      const fake = `soc_${randomBytes(24).toString('hex')}`;
      statuses.push((await t.request('GET', '/api/client/instances', { token: fake })).status);
    }
    expect(statuses.slice(0, 40).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(40)).toEqual([429, 429]);
    // A real credential keeps its own budget meanwhile (the admin token created it).
    const c = await t.newTenant();
    expect((await t.request('GET', '/api/client/instances', { token: c.token })).status).toBe(200);
  });
});
