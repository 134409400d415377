import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestingExceeds } from '../../src/http/json-body.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

// The fuzz test found a body 5,000 arrays deep answered 500 on a route without a body schema:
// the idempotency hook's JSON.stringify overflowed the stack.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('deeply nested JSON', () => {
  it('counts nesting outside strings only', () => {
    expect(nestingExceeds('[[[]]]', 3)).toBe(false);
    expect(nestingExceeds('[[[[]]]]', 3)).toBe(true);
    expect(nestingExceeds('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(nestingExceeds(`{"s":"${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(nestingExceeds(`{"s":"\\"${'{'.repeat(100)}"}`, 3)).toBe(false);
  });

  it('is refused with a clear 400 before any hook reads it, with or without an Idempotency-Key, and runs nothing', async () => {
    const runs = async () =>
      (await t.request('GET', '/api/admin/pricing/runs', { token: ADMIN_TOKEN })).body.runs.length;
    const before = await runs();
    const deep = `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const key of [undefined, `deep-${randomUUID()}`]) {
      const res = await t.server.app.inject({
        method: 'POST',
        url: '/api/admin/pricing/consolidate',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(key ? { 'idempotency-key': key } : {}),
        },
        payload: deep,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INVALID_JSON' });
      expect(res.json().error.message).toMatch(/nested deeper than/);
    }
    expect(await runs()).toBe(before);
    // Nesting up to the limit is still JSON like any other.
    const ok = `{"a":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    const res = await t.server.app.inject({
      method: 'POST',
      url: '/api/admin/pricing/consolidate',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: ok,
    });
    expect(res.statusCode).toBe(200);
  });
});
