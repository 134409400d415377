import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('queries use current Kysely forms', () => {
  it('prints no Kysely deprecation (e.g. "orderBy(array) is deprecated") when serving prices and savings', async () => {
    // Kysely reports a deprecated call form once per process through console.log.
    const logged = vi.spyOn(console, 'log');
    try {
      const tenant = await t.newTenant();
      for (const path of [
        '/api/client/prices?hours=24',
        '/api/client/prices?hours=1&instance_type=t3.medium',
      ]) {
        expect((await t.request('GET', path, { token: tenant.token })).status).toBe(200);
      }
      const messages = logged.mock.calls.map((args) => args.map(String).join(' '));
      expect(messages.filter((m) => /deprecated/i.test(m))).toEqual([]);
    } finally {
      logged.mockRestore();
    }
  });
});
