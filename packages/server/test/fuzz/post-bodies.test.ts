import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/**
 * Fuzz: generated bad bodies against every POST route of the OpenAPI document (so a new
 * route is covered without touching this file), each with the token the route takes and
 * with real or unknown path ids. Never a 5xx; every refusal has the error shape and leaves
 * every table exactly as it was. A body that happens to be valid may be accepted (2xx): it
 * must then at least carry the schema's required fields, and it becomes the new baseline.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

let t: TestServer;
let ids: { agentId: string; instanceId: string; commandId: string; clientToken: string; agentToken: string };
let snapshotSql: string;
let tables: string[];

beforeAll(async () => {
  t = await startTestServer();
  const tenant = await t.newTenant('fuzz-tenant');
  const agent = await tenant.registerAgent('fuzz-agent');
  // The instance stays LAUNCHING: a well-formed terminate is then refused (409) too.
  const launched = await tenant.launch(agent.agent_id);
  ids = {
    agentId: agent.agent_id,
    instanceId: launched.instance_id,
    commandId: launched.command_id,
    clientToken: tenant.token,
    agentToken: agent.agent_token,
  };
  // Every table of the schema, hashed row by row in one query. Nothing is excluded: a
  // refused request must not leave even bookkeeping behind (its idempotency key is
  // released, audit entries are only written with changes, rate-limit counters live in
  // memory, not in the database).
  tables = (
    await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(t.db.kysely)
  ).rows.map((r) => r.name);
  expect(tables).toContain('instances');
  snapshotSql = tables
    .map(
      (name) =>
        `SELECT '${name}' AS name, count(*)::int AS n, coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS h FROM "${name}" x`,
    )
    .join(' UNION ALL ');
});
afterAll(async () => {
  await t?.close();
});

async function snapshot(): Promise<Record<string, string>> {
  const rows = (await sql.raw<{ name: string; n: number; h: string }>(snapshotSql).execute(t.db.kysely)).rows;
  return Object.fromEntries(rows.map((r) => [r.name, `${r.n}:${r.h}`]));
}

interface Route {
  path: string;
  /** False for a route that takes no body (logout): it ignores whatever is sent. */
  hasBody: boolean;
  required: string[];
  properties: string[];
}

const INJECTIONS = [
  "'; DROP TABLE instances;--",
  "' OR '1'='1",
  '1; DELETE FROM clients',
  '$$; TRUNCATE events; $$',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '\u0024{process.exit(1)}', // a template-injection attempt, written so that it is not one here
  '\u0000',
  '\ud83d\ude00'.repeat(50),
  'i-0abc; rm -rf /',
  '{"$ne": null}',
];

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5),
  fc.boolean(),
  fc.constant(null),
  fc.nat({ max: 60_000 }).map((n) => 'A'.repeat(1000 + n)), // long, but under the body limit
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant({ __proto__: { admin: true }, constructor: { prototype: { polluted: true } } }),
);

/** A raw request body: text or bytes sent as-is, with a content type. */
interface Raw {
  raw: string | Buffer;
  contentType: string;
}

const rawBodies: fc.Arbitrary<Raw> = fc.oneof(
  fc
    .constantFrom(
      '{"name":',
      '{',
      '[',
      '{"a":1}garbage',
      '{"a":1,}',
      "{'single':'quotes'}",
      '\ufeff{"bom":true}',
      'null',
      'true',
      '"just a string"',
      `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      '{"s":"\\ud800"}',
      '{"s":"\\u0000"}',
      'NaN',
      '',
    )
    .map((raw) => ({ raw, contentType: 'application/json' })),
  // Invalid UTF-8 inside what looks like JSON.
  fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => ({
    raw: Buffer.concat([
      Buffer.from('{"name":"'),
      Buffer.from([0xff, 0xfe, 0xc3, ...bytes]),
      Buffer.from('"}'),
    ]),
    contentType: 'application/json',
  })),
  fc.string({ maxLength: 60 }).map((raw) => ({ raw, contentType: 'application/json' })),
  // Not JSON at all.
  fc
    .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data')
    .map((contentType) => ({ raw: 'name=x&logical_id=y', contentType })),
  // Over the 1 MB limit.
  fc.constantFrom(1_100_000, 2_500_000).map((n) => ({
    raw: JSON.stringify({ name: 'x'.repeat(n), prices: [] }),
    contentType: 'application/json',
  })),
);

/** What a raw body means as strict JSON (UTF-8, no BOM), or undefined. */
function parseStrict(raw: string | Buffer): unknown {
  try {
    const text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw);
    return JSON.parse(text.replace(/^\ufeff/, ''));
  } catch {
    return undefined;
  }
}

function bodies(route: Route): fc.Arbitrary<unknown | Raw> {
  const keys = route.properties.length ? route.properties : ['name', 'id'];
  return fc.oneof(
    // The route's own field names with junk values, any subset present.
    fc.record(Object.fromEntries(keys.map((k) => [k, junk])), { requiredKeys: [] }),
    fc.jsonValue({ maxDepth: 4 }),
    fc.array(fc.record(Object.fromEntries(keys.map((k) => [k, junk])), { requiredKeys: [] }), {
      maxLength: 3,
    }),
    rawBodies,
  );
}

const unknownIds = fc.oneof(
  fc.uuid().map(String),
  fc.constantFrom(
    "'; DROP TABLE agents;--",
    '..%2F..%2Fetc',
    'null',
    '0',
    'x'.repeat(300), // over Fastify's maxParamLength
    '%00',
    '%E0%A4%A', // malformed percent-encoding
    '%',
    '%F0%9F%98%80',
  ),
);

/** Which credential each route takes; admin and agent routes by their path. */
function tokenFor(path: string): string | undefined {
  if (path.startsWith('/api/admin/')) return ADMIN_TOKEN;
  if (path === '/api/agents/register') return ids.clientToken;
  if (path.startsWith('/api/agents/')) return ids.agentToken;
  if (path.startsWith('/api/client/')) return ids.clientToken;
  return undefined; // login (token in the body) and logout (cookie)
}

function fill(path: string, unknown: Record<string, string | undefined> | null): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (unknown?.[name]) return encodeURIComponent(unknown[name]!).replace(/%25/g, '%');
    return name === 'agent_id' ? ids.agentId : name === 'instance_id' ? ids.instanceId : ids.commandId;
  });
}

describe('fuzzed bodies on every POST route', () => {
  it('never answer 5xx, always the error shape, and refusals change nothing', async () => {
    const doc = (await t.request('GET', '/api/openapi.json')).body;
    const routes: Route[] = Object.entries<any>(doc.paths)
      .filter(([, ops]) => ops.post)
      .map(([path, ops]) => {
        const schema = ops.post.requestBody?.content?.['application/json']?.schema;
        return {
          path,
          hasBody: Boolean(schema),
          required: schema?.required ?? [],
          properties: Object.keys(schema?.properties ?? {}),
        };
      });
    // The routes of issue 2 are all there; anything added later is fuzzed too.
    for (const p of [
      '/api/admin/clients',
      '/api/agents/register',
      '/api/agents/{agent_id}/heartbeat',
      '/api/agents/{agent_id}/commands/{command_id}/result',
      '/api/agents/{agent_id}/instance-launched',
      '/api/agents/{agent_id}/instance-terminated',
      '/api/client/instances/launch',
      '/api/client/instances/{instance_id}/terminate',
    ]) {
      expect(routes.map((r) => r.path)).toContain(p);
    }

    const accepted: Record<string, number> = {};
    let requests = 0;
    let baseline = await snapshot();
    // The instance as the last accepted request left it: a fuzzed body can be a valid report
    // about it (`{"success": false}` as its launch command's result fails the launch).
    const instanceNow = async () => {
      const r = await t.request('GET', `/api/client/instances/${ids.instanceId}`, { token: ids.clientToken });
      return { status: r.body.status, version: r.body.version };
    };
    let expectedInstance = { status: 'LAUNCHING', version: 1 };
    for (const route of routes) {
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const pathChoice = params.length
        ? fc.option(fc.record(Object.fromEntries(params.map((p) => [p, unknownIds])), { requiredKeys: [] }), {
            nil: null,
          })
        : fc.constant(null);
      await fc.assert(
        fc.asyncProperty(bodies(route), pathChoice, fc.boolean(), async (body, unknown, withKey) => {
          const url = fill(route.path, unknown);
          const token = tokenFor(route.path);
          const isRaw = typeof body === 'object' && body !== null && 'raw' in body && 'contentType' in body;
          const headers: Record<string, string> = {
            'content-type': isRaw ? (body as Raw).contentType : 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            // Sometimes with an Idempotency-Key: a refused request must release it.
            ...(withKey ? { 'idempotency-key': `fuzz-${randomUUID()}` } : {}),
          };
          const payload = isRaw ? (body as Raw).raw : JSON.stringify(body);
          const res = await t.server.app.inject({ method: 'POST', url, headers, payload });
          requests++;
          const where = `POST ${url.slice(0, 120)} ${String(payload).slice(0, 200)}`;
          expect(res.statusCode, where).toBeLessThan(500);
          const after = await snapshot();
          if (res.statusCode >= 200 && res.statusCode < 300) {
            // Accepted: only a body that is (or parses to) an object with every required field.
            if (route.hasBody) {
              const sent = isRaw ? parseStrict((body as Raw).raw) : body;
              expect(typeof sent === 'object' && sent !== null && !Array.isArray(sent), where).toBe(true);
              for (const k of route.required) expect(sent, where).toHaveProperty(k);
            }
            accepted[route.path] = (accepted[route.path] ?? 0) + 1;
            baseline = after;
            expectedInstance = await instanceNow();
            return;
          }
          expect(res.headers['content-type'], where).toMatch(/application\/json/);
          expect(res.json(), where).toMatchObject({
            error: { code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) },
          });
          expect(after, where).toEqual(baseline);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }
    expect(requests).toBe(routes.length * RUNS);
    // Bad input is what was sent: nearly all of it must have been refused.
    const acceptedTotal = Object.values(accepted).reduce((a, b) => a + b, 0);
    expect(acceptedTotal, JSON.stringify(accepted)).toBeLessThan(requests / 4);
    // Sanity: the tables the injections aimed at are all still there.
    const still = (
      await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(t.db.kysely)
    ).rows[0]!.n;
    expect(still).toBe(tables.length);
    // And the server still serves a normal request.
    const ok = await t.request('GET', `/api/client/instances/${ids.instanceId}`, { token: ids.clientToken });
    expect(ok.status).toBe(200);
    expect(ok.body, JSON.stringify(accepted)).toMatchObject(expectedInstance);
  }, 180_000);
});

describe('malformed ids in bodies', () => {
  // Found by this fuzz test: a non-UUID id reached a uuid column and PostgreSQL's 22P02
  // became a 500. Malformed ids are unknown ids: 404, nothing written.
  it('answers 404 and changes nothing', async () => {
    const base = `/api/agents/${ids.agentId}`;
    const before = await snapshot();
    for (const [path, body] of [
      [
        `${base}/instance-launched`,
        { instance_id: "'; DROP TABLE instances;--", cloud_instance_id: 'i-0abc', state: 'running' },
      ],
      [`${base}/instance-terminated`, { instance_id: 'not-a-uuid', state: 'terminated' }],
      [`${base}/commands/not-a-uuid/result`, { success: true }],
      [`${base}/commands/${encodeURIComponent("1' OR '1'='1")}/result`, { success: false, message: 'x' }],
    ] as const) {
      const res = await t.request('POST', path, { token: ids.agentToken, body });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect(await snapshot()).toEqual(before);
  });
});
