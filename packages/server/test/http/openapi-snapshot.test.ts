import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * The OpenAPI document the server serves, pinned: an API change is always a visible diff of
 * openapi.snapshot.gen.json (`.gen.json`: Biome leaves it as written). `npm run
 * openapi:update` rewrites it (this test with OPENAPI_UPDATE=1). The document is built on the
 * default configuration and must not depend on the database kind, the port or the time: the
 * same snapshot holds on PGlite and PostgreSQL.
 */
const SNAPSHOT = fileURLToPath(new URL('./openapi.snapshot.gen.json', import.meta.url));
const UPDATE = process.env.OPENAPI_UPDATE === '1';

/** Pretty-printed with every object's keys sorted, so the file diffs cleanly. */
function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('OpenAPI document', () => {
  it('matches the committed snapshot (packages/server/test/http/openapi.snapshot.gen.json)', async () => {
    const res = await t.request('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    const served = canonicalJson(res.body);
    if (UPDATE) {
      await writeFile(SNAPSHOT, served);
      return;
    }
    const committed = await readFile(SNAPSHOT, 'utf8').catch(() => '');
    expect(
      served,
      'the served OpenAPI document differs from packages/server/test/http/openapi.snapshot.gen.json: ' +
        'if the API change is intended, run `npm run openapi:update` and commit the snapshot',
    ).toBe(committed);
  });
});
