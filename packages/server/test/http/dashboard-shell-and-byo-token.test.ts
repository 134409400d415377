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
});
