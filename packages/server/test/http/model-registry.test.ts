import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelDetail, ModelManifest, ModelView } from '@spot/contract';
import { FEATURE_COUNT, type Scorer } from '@spot/decision';
import { writeLogisticOnnx } from '@spot/decision/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Timer } from '../../src/domain/model-engine.ts';
import { runJobOnce } from '../../src/jobs/catalog.ts';
import { getAgentConfig } from '../../src/repositories/agent-configs.ts';
import { inTransaction } from '../../src/services/unit-of-work.ts';
import { findViolations } from '../support/invariants.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/**
 * The model registry through the admin API, on both databases: uploads and their 4xx, a model
 * failing validation cannot be activated, the shipped model (packages/decision/models) goes
 * uploaded → validated → active and answers an auto_switch decision, a model that throws or
 * hangs falls back to the rules (recorded, counted), and activating a new version while
 * decisions run loses none of them.
 */
const SHIPPED = join(import.meta.dirname, '../../../decision/models');
const manifest = ModelManifest.parse(JSON.parse(readFileSync(join(SHIPPED, 'pool-scorer.json'), 'utf8')));
const shippedB64 = readFileSync(join(SHIPPED, manifest.onnx_file)).toString('base64');
const contract = manifest.contract;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
/** A logistic model over the features that always scores sigmoid(bias). */
const constant = (bias: number, sigmoid = true) =>
  b64(writeLogisticOnnx({ weights: new Array(FEATURE_COUNT).fill(0), bias, sigmoid }));

/** What the served models do, switched by the tests (the registry's serve seam). */
let behaviour: 'pass' | 'throw' | 'hang' = 'pass';
const timer: Timer = () => ({
  done: behaviour === 'hang' ? Promise.resolve() : new Promise(() => {}),
  cancel() {},
});

let t: TestServer;
let clock = Date.parse('2026-08-01T12:00:00.000Z');
beforeAll(async () => {
  t = await startTestServer({
    now: () => new Date(clock),
    env: { DECISION_CONFIRM_SECONDS: '600', DECISION_MIN_SWITCH_INTERVAL_SECONDS: '1800' },
    models: {
      timer,
      serve: (scorer): Scorer => ({
        score: (rows, n) =>
          behaviour === 'throw'
            ? Promise.reject(new Error('onnxruntime exploded'))
            : behaviour === 'hang'
              ? new Promise(() => {})
              : scorer.score(rows, n),
      }),
    },
  });
});
afterAll(async () => {
  await t?.close();
});
const advanceMinutes = (m: number) => {
  clock += m * 60_000;
};

const admin = (method: string, path: string, body?: unknown) =>
  t.request(method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });

async function upload(name: string, onnx_base64: string, c: unknown = contract) {
  const r = await admin('POST', '/api/admin/models', { name, contract: c, onnx_base64 });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return ModelView.parse(r.body);
}
async function validated(name: string, onnx_base64: string) {
  const m = await upload(name, onnx_base64);
  const v = await admin('POST', `/api/admin/models/${m.model_id}/validate`);
  expect(v.body.status, JSON.stringify(v.body.validation)).toBe('validated');
  return ModelView.parse(v.body);
}
const activate = (id: string, scope: string) => admin('POST', `/api/admin/models/${id}/activate`, { scope });

type Tenant = Awaited<ReturnType<TestServer['newTenant']>>;
let cloudSeq = 0xa000;
const POOLS = ['us-east-1a', 'us-east-1b', 'us-east-1c'].map((az) => ({
  instance_type: 'c5.large',
  availability_zone: az,
}));

/** An auto_switch workload on c5.large@us-east-1a with a running primary; `report` sets prices. */
async function workload(tenant: Tenant) {
  const first = await tenant.registerAgent();
  const agentId = first.agent_id;
  await tenant.launch(agentId, { instance_type: 'c5.large', availability_zone: 'us-east-1a' });
  const [launch] = (
    await t.request('GET', `/api/agents/${agentId}/pending-commands`, { token: first.agent_token })
  ).body.commands;
  const joined = await t.request('POST', '/api/agents/join', {
    body: { join_token: launch.metadata.join_token, cloud_instance_id: `i-0${(cloudSeq++).toString(16)}` },
  });
  expect(joined.status).toBe(200);
  const primary = joined.body as { agent_token: string; instance_id: string };
  const cfg = await t.request('GET', `/api/client/agents/${agentId}/config`, { token: tenant.token });
  const put = await t.request('PUT', `/api/client/agents/${agentId}/config`, {
    token: tenant.token,
    body: {
      mode: 'auto_switch',
      candidate_pools: POOLS,
      min_savings_percent: 10,
      on_rebalance: 'mark',
      on_demand_fallback: false,
      version: cfg.body.version,
    },
  });
  expect(put.status).toBe(200);
  const report = async (prices: Record<string, number>) => {
    const r = await t.request('POST', `/api/agents/${agentId}/pricing-report`, {
      token: primary.agent_token,
      body: {
        prices: Object.entries(prices).map(([az, spot_price]) => ({
          instance_type: 'c5.large',
          availability_zone: az,
          spot_price,
          timestamp: new Date(clock).toISOString(),
        })),
      },
    });
    expect(r.status).toBe(200);
  };
  await report({ 'us-east-1a': 0.05, 'us-east-1b': 0.05, 'us-east-1c': 0.06 });
  return { agentId, primary, report };
}

const decisionsOf = async (tenant: Tenant, agentId: string) =>
  (await t.request('GET', `/api/client/decisions?agent_id=${agentId}&limit=500`, { token: tenant.token }))
    .body.decisions as Array<{
    policy: string;
    model_id: string | null;
    fallback: string | null;
    valid: boolean;
    output: { action: string; target: unknown; confidence: number; reason: string };
    switch_id: string | null;
  }>;
const decideOnce = (agentId: string) =>
  inTransaction(t.server.ctx, async (tx) =>
    t.server.jobDeps.decisions.decideFor(tx, (await getAgentConfig(tx, agentId))!),
  );

describe('model registry: the admin API', () => {
  it('refuses bad uploads with a clear 4xx and stores nothing', async () => {
    const before = (await admin('GET', '/api/admin/models')).body.models.length;
    const cases: Array<[unknown, number, RegExp]> = [
      [{ name: 'm', contract, onnx_base64: 'not base64!' }, 400, /base64/],
      [
        { name: 'm', contract, onnx_base64: b64(new TextEncoder().encode('hello, not a model')) },
        400,
        /not a loadable ONNX model/,
      ],
      [{ name: 'm', contract, onnx_base64: 'A'.repeat(700_000) }, 400, /larger than/],
      [{ name: 'Bad Name', contract, onnx_base64: shippedB64 }, 400, /name/],
      [
        {
          name: 'm',
          contract: { ...contract, input: { ...contract.input, shape: ['N', 3] } },
          onnx_base64: shippedB64,
        },
        400,
        /one column per feature/,
      ],
      [{ name: 'm', contract: { ...contract, threshold: 1.5 }, onnx_base64: shippedB64 }, 400, /threshold/],
      [{ name: 'm', contract }, 400, /onnx_base64/],
    ];
    for (const [body, status, message] of cases) {
      const r = await admin('POST', '/api/admin/models', body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(JSON.stringify(r.body)).toMatch(message);
    }
    expect((await admin('GET', '/api/admin/models')).body.models).toHaveLength(before);
  });

  it('is for the admin only, and answers 404 for unknown models and clients', async () => {
    const tenant = await t.newTenant();
    expect((await t.request('GET', '/api/admin/models')).status).toBe(401);
    expect((await t.request('GET', '/api/admin/models', { token: tenant.token })).status).toBe(403);
    const upload403 = await t.request('POST', '/api/admin/models', {
      token: tenant.token,
      body: { name: 'x', contract, onnx_base64: shippedB64 },
    });
    expect(upload403.status).toBe(403);
    expect((await admin('GET', '/api/admin/models/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin('GET', '/api/admin/models/not-a-uuid')).status).toBe(404);
    expect((await admin('POST', '/api/admin/models/not-a-uuid/validate')).status).toBe(404);
    const m = await validated('scoped', shippedB64);
    expect((await activate(m.model_id, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await activate(m.model_id, 'nobody')).status).toBe(404);
    expect((await admin('POST', `/api/admin/models/${m.model_id}/activate`, { scope: 7 })).status).toBe(400);
    expect((await admin('GET', `/api/admin/models/${m.model_id}`)).body.status).toBe('validated');
  });

  it('keeps versions per name, newest first', async () => {
    const a = await upload('versioned', shippedB64);
    const b = await upload('versioned', constant(1));
    expect([a.version, b.version]).toEqual([1, 2]);
    const listed = (await admin('GET', '/api/admin/models')).body.models.filter(
      (m: ModelView) => m.name === 'versioned',
    );
    expect(listed.map((m: ModelView) => m.version)).toEqual([2, 1]);
    expect(a.sha256).toBe(manifest.sha256);
    expect(a.status).toBe('uploaded');
  });
});

describe('model registry: validation gates activation', () => {
  it('a model whose outputs leave the declared range is rejected and cannot be activated (409)', async () => {
    const m = await upload('logits', constant(5, false));
    const v = await admin('POST', `/api/admin/models/${m.model_id}/validate`);
    expect(v.status).toBe(200);
    expect(v.body.status).toBe('rejected');
    const failed = v.body.validation.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failed.map((c: { name: string }) => c.name)).toEqual(['fixtures: one row', 'fixtures: 5 rows']);
    expect(failed[0].detail).toMatch(/outside \[0, 1\]: 5/);
    const a = await activate(m.model_id, 'global');
    expect(a.status).toBe(409);
    expect(a.body.error).toMatchObject({
      code: 'INVALID_TRANSITION',
      message: expect.stringMatching(/failed validation/),
    });
    expect((await admin('GET', `/api/admin/models/${m.model_id}`)).body).toMatchObject({
      status: 'rejected',
      scope: null,
    });
  });

  it('a graph that does not match its declared contract is rejected; an unvalidated model is refused too', async () => {
    const renamed = await upload('renamed', shippedB64, {
      ...contract,
      input: { ...contract.input, name: 'x' },
    });
    expect((await activate(renamed.model_id, 'global')).status).toBe(409); // not validated yet
    const v = await admin('POST', `/api/admin/models/${renamed.model_id}/validate`);
    expect(v.body.status).toBe('rejected');
    expect(v.body.validation.checks.find((c: { name: string }) => c.name === 'input tensor')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/declared one input "x", the graph has 1 \(features\)/),
    });
    const oldFeatures = await upload('old-features', shippedB64, {
      ...contract,
      features: { ...contract.features, version: 'pool-pair-v0' },
    });
    const w = await admin('POST', `/api/admin/models/${oldFeatures.model_id}/validate`);
    expect(w.body.status).toBe('rejected');
    expect(w.body.validation.checks[0]).toMatchObject({ name: 'features', ok: false });
    expect((await activate(oldFeatures.model_id, 'global')).status).toBe(409);
  });
});

describe('model registry: serving', () => {
  it('the shipped model, uploaded → validated → active for a client, answers its auto_switch decision', async () => {
    const tenant = await t.newTenant();
    const m = await validated('pool-scorer', shippedB64);
    expect(m.validation?.ok).toBe(true);
    const a = await activate(m.model_id, tenant.clientId);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ status: 'active', scope: tenant.clientId });

    const { agentId, report } = await workload(tenant);
    advanceMinutes(60);
    await report({ 'us-east-1b': 0.03 });
    advanceMinutes(5);
    await runJobOnce('auto-switch', t.server.jobDeps);
    advanceMinutes(6);
    await runJobOnce('auto-switch', t.server.jobDeps);
    const [latest, earlier] = await decisionsOf(tenant, agentId);
    const policy = `model:pool-scorer@v${m.version}`;
    expect(earlier).toMatchObject({
      policy,
      model_id: m.model_id,
      fallback: null,
      output: { action: 'stay' },
    });
    expect(earlier?.output.reason).toMatch(/has lasted 300 s of the 600 s/);
    expect(latest).toMatchObject({
      policy,
      model_id: m.model_id,
      fallback: null,
      valid: true,
      output: { action: 'switch', target: { instance_type: 'c5.large', availability_zone: 'us-east-1b' } },
    });
    expect(latest?.output.confidence).toBeGreaterThanOrEqual(contract.threshold);
    expect(latest?.switch_id).not.toBeNull();
    expect(await findViolations(t.db, tenant.clientId)).toEqual([]);

    const detail = ModelDetail.parse((await admin('GET', `/api/admin/models/${m.model_id}`)).body);
    expect(detail.stats).toMatchObject({ decisions: 2, fallbacks: 0 });
    expect(detail.stats.latency_ms_p50).toBeGreaterThanOrEqual(0);
    expect(detail.stats.latency_ms_p99).toBeGreaterThanOrEqual(detail.stats.latency_ms_p50!);
    const metrics = (await t.request('GET', '/metrics')).body as string;
    expect(metrics).toContain(`spot_decisions_total{policy="${policy}",action="switch"} 1`);

    // Another client has no model of its own and no global one: the rules answer.
    const other = await t.newTenant();
    const w = await workload(other);
    advanceMinutes(60);
    await runJobOnce('auto-switch', t.server.jobDeps);
    const [ruled] = await decisionsOf(other, w.agentId);
    expect(ruled).toMatchObject({ policy: 'rules', model_id: null, fallback: null });

    expect((await admin('POST', `/api/admin/models/${m.model_id}/deactivate`)).body).toMatchObject({
      status: 'retired',
      scope: null,
    });
  });

  it('a model that throws or does not answer in time: the rules answer, the fallback is recorded, logged and counted', async () => {
    const tenant = await t.newTenant();
    const m = await validated('flaky', constant(4));
    expect((await activate(m.model_id, tenant.clientId)).status).toBe(200);
    const { agentId, report } = await workload(tenant);
    advanceMinutes(60);
    await report({ 'us-east-1b': 0.03 });
    advanceMinutes(5);
    try {
      behaviour = 'throw';
      expect(await decideOnce(agentId)).toMatchObject({
        policy: 'rules',
        model_id: m.model_id,
        fallback: 'error',
      });
      advanceMinutes(1);
      behaviour = 'hang';
      expect(await decideOnce(agentId)).toMatchObject({
        policy: 'rules',
        model_id: m.model_id,
        fallback: 'timeout',
      });
    } finally {
      behaviour = 'pass';
    }
    advanceMinutes(1);
    const answered = await decideOnce(agentId);
    expect(answered).toMatchObject({ policy: 'model:flaky@v1', fallback: null });

    const list = await decisionsOf(tenant, agentId);
    const [last, hung, threw] = list;
    expect([threw?.fallback, hung?.fallback, last?.fallback]).toEqual(['error', 'timeout', null]);
    // The rules' answer stands: a stay (the drop is 5 minutes old, not the 10 it must last), valid.
    expect(threw).toMatchObject({ valid: true, output: { action: 'stay' } });
    const detail = ModelDetail.parse((await admin('GET', `/api/admin/models/${m.model_id}`)).body);
    expect(detail.stats).toMatchObject({ decisions: 1, fallbacks: 2 });
    const metrics = (await t.request('GET', '/metrics')).body as string;
    expect(metrics).toContain('spot_model_fallbacks_total{model="model:flaky@v1",reason="error"} 1');
    expect(metrics).toContain('spot_model_fallbacks_total{model="model:flaky@v1",reason="timeout"} 1');
    await admin('POST', `/api/admin/models/${m.model_id}/deactivate`);
  });

  it('hot reload under load: activating new versions while decisions run loses none', async () => {
    const tenant = await t.newTenant();
    const v1 = await validated('hot', constant(-3)); // scores 0.047: the model says stay
    const v2 = await validated('hot', constant(-2));
    const v3 = await validated('hot', constant(-1));
    expect((await activate(v1.model_id, tenant.clientId)).status).toBe(200);
    const agents = await Promise.all([1, 2, 3, 4].map(() => workload(tenant)));
    advanceMinutes(60);
    for (const a of agents) await a.report({ 'us-east-1b': 0.03 });
    advanceMinutes(30);

    const ROUNDS = 6;
    let activations = Promise.resolve();
    // Each workload decides ROUNDS times in a row (a workload is decided one call at a time);
    // the workloads run concurrently, and v2 then v3 are activated in the middle of it.
    const results = await Promise.all(
      agents.map(async (a, i) => {
        const rows = [];
        for (let r = 0; r < ROUNDS; r++) {
          if (i === 0 && r === 2)
            activations = activations.then(async () => void (await activate(v2.model_id, tenant.clientId)));
          if (i === 0 && r === 4)
            activations = activations.then(async () => void (await activate(v3.model_id, tenant.clientId)));
          rows.push(await decideOnce(a.agentId));
        }
        return rows;
      }),
    );
    await activations;
    const all = results.flat();
    expect(all).toHaveLength(agents.length * ROUNDS);
    expect(all.every((r) => r !== null)).toBe(true);
    expect(all.map((r) => r!.fallback).filter((f) => f !== null)).toEqual([]);
    const policies = new Set(all.map((r) => r!.policy));
    expect([...policies].every((p) => /^model:hot@v[123]$/.test(p))).toBe(true);
    expect(policies.has('model:hot@v1')).toBe(true);
    for (const a of agents) {
      const list = await decisionsOf(tenant, a.agentId);
      expect(list).toHaveLength(ROUNDS);
      expect(list.every((d) => d.valid && d.output.action === 'stay')).toBe(true);
    }
    // After the activations, the next decision is v3's; v1 and v2 are retired.
    expect((await decideOnce(agents[1]!.agentId))?.policy).toBe('model:hot@v3');
    const statuses = await Promise.all(
      [v1, v2, v3].map(async (v) => (await admin('GET', `/api/admin/models/${v.model_id}`)).body.status),
    );
    expect(statuses).toEqual(['retired', 'retired', 'active']);
  });
});
