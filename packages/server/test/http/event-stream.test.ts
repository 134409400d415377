import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase } from '../support/databases.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { SseClient } from '../support/sse-client.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ listen: true, env: { SSE_HEARTBEAT_SECONDS: '0.2' } });
});
afterAll(async () => {
  await t?.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('SSE', () => {
  it('streams each state change with id, event type and {type, data, timestamp}', async () => {
    const tenant = await t.newTenant();
    const sse = await SseClient.open(`${t.url}/api/events/stream/${tenant.clientId}`, auth(tenant.token));
    expect(sse.status).toBe(200);
    const agent = await tenant.registerAgent();
    const { instance_id } = await tenant.launch(agent.agent_id);
    await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id, cloud_instance_id: 'i-0aa', state: 'running' },
    });
    const events = await sse.waitFor((es) => es.some((e) => e.event === 'INSTANCE_RUNNING'));
    const lifecycle = events.filter((e) => e.event.startsWith('INSTANCE_'));
    expect(lifecycle.map((e) => e.event)).toEqual(['INSTANCE_LAUNCHING', 'INSTANCE_RUNNING']);
    const running = lifecycle[1]!;
    expect(running.data).toMatchObject({
      type: 'INSTANCE_RUNNING',
      data: { instance_id, status: 'RUNNING', version: 2 },
    });
    expect(running.data.data.launch_duration_seconds).toBeTypeOf('number');
    expect(Number(running.id)).toBeGreaterThan(Number(lifecycle[0]!.id));
    expect(Number.isNaN(Date.parse(running.data.timestamp))).toBe(false);
    sse.close();
  });

  it('sends HEARTBEAT on its interval', async () => {
    const tenant = await t.newTenant();
    const sse = await SseClient.open(`${t.url}/api/events/stream/${tenant.clientId}`, auth(tenant.token));
    await sse.waitFor((es) => es.some((e) => e.event === 'HEARTBEAT'), 3000);
    sse.close();
  });

  it('replays exactly what was missed after Last-Event-ID (header or query)', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const first = await tenant.launch(agent.agent_id);
    const sse = await SseClient.open(
      `${t.url}/api/events/stream/${tenant.clientId}?last_event_id=0`,
      auth(tenant.token),
    );
    const seen = await sse.waitFor((es) => es.some((e) => e.data.data?.instance_id === first.instance_id));
    const lastId = seen.filter((e) => e.id).at(-1)!.id!;
    sse.close();

    // While disconnected: three more changes.
    await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id: first.instance_id, cloud_instance_id: 'i-0bb', state: 'running' },
    });
    await t.request('POST', `/api/client/instances/${first.instance_id}/terminate`, { token: tenant.token });
    await t.request('POST', `/api/agents/${agent.agent_id}/instance-terminated`, {
      token: agent.agent_token,
      body: { instance_id: first.instance_id, state: 'terminated' },
    });

    const before = { ...t.server.bus.replays };
    for (const mode of ['header', 'query'] as const) {
      const url = `${t.url}/api/events/stream/${tenant.clientId}${mode === 'query' ? `?last_event_id=${lastId}` : ''}`;
      const headers = { ...auth(tenant.token), ...(mode === 'header' ? { 'last-event-id': lastId } : {}) };
      const resumed = await SseClient.open(url, headers);
      const got = await resumed.waitFor((es) => es.some((e) => e.event === 'INSTANCE_TERMINATED'));
      const withIds = got.filter((e) => e.id);
      expect(withIds.map((e) => e.event)).toEqual([
        'INSTANCE_RUNNING',
        'INSTANCE_TERMINATING',
        'INSTANCE_TERMINATED',
      ]);
      expect(withIds.every((e) => Number(e.id) > Number(lastId))).toBe(true);
      resumed.close();
    }
    // Both resumes were answered from this process's memory (the replay ring), not the outbox.
    expect(t.server.bus.replays).toEqual({ ring: before.ring + 2, outbox: before.outbox });
  });

  it('refuses other tenants’ streams, missing credentials and agent tokens', async () => {
    const a = await t.newTenant();
    const b = await t.newTenant();
    const agent = await a.registerAgent();
    const cases: Array<[Record<string, string>, number]> = [
      [auth(b.token), 404],
      [{}, 401],
      [auth(agent.agent_token), 403],
    ];
    for (const [headers, status] of cases) {
      const res = await fetch(`${t.url}/api/events/stream/${a.clientId}`, { headers });
      expect(res.status).toBe(status);
      expect((await res.json()).error.code).toBeTruthy();
    }
    const bad = await fetch(`${t.url}/api/events/stream/${a.clientId}`, {
      headers: { ...auth(a.token), 'last-event-id': 'abc' },
    });
    expect(bad.status).toBe(400);
  });

  it('lets the admin follow any tenant’s stream', async () => {
    const a = await t.newTenant();
    const sse = await SseClient.open(`${t.url}/api/events/stream/${a.clientId}`, auth(ADMIN_TOKEN));
    await a.registerAgent('watched');
    await sse.waitFor((es) =>
      es.some((e) => e.event === 'AGENT_STATUS_CHANGED' && e.data.data.logical_id === 'watched'),
    );
    sse.close();
  });
});

describe('WebSocket /ws', () => {
  it('carries the same events, with resume', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws?last_event_id=0`, {
      headers: auth(tenant.token),
    });
    const got: any[] = [];
    ws.on('message', (m) => got.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once('open', r));
    const { instance_id } = await tenant.launch(agent.agent_id);
    const deadline = Date.now() + 5000;
    while (!got.some((e) => e.type === 'INSTANCE_LAUNCHING') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const launching = got.find((e) => e.type === 'INSTANCE_LAUNCHING');
    expect(launching.data.instance_id).toBe(instance_id);
    expect(got[0].type).toBe('AGENT_STATUS_CHANGED'); // replayed from seq 0
    ws.close();
  });

  it('closes with a policy error for a foreign tenant', async () => {
    const a = await t.newTenant();
    const b = await t.newTenant();
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws?client_id=${a.clientId}`, {
      headers: auth(b.token),
    });
    const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
    expect(code).toBe(1008);
  });
});

describe('persistence across restarts', () => {
  it('replays events stored before a server restart', async () => {
    const testDb = await createTestDatabase({ persistent: true });
    const s1 = await startTestServer({ listen: true, testDb });
    const tenant = await s1.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id } = await tenant.launch(agent.agent_id);
    await s1.stop();

    const s2 = await startTestServer({ listen: true, testDb });
    try {
      // The agent confirms against the restarted server: nothing was lost.
      const ok = await s2.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
        token: agent.agent_token,
        body: { instance_id, cloud_instance_id: 'i-0cc', state: 'running' },
      });
      expect(ok.body.outcome).toBe('applied');
      const sse = await SseClient.open(`${s2.url}/api/events/stream/${tenant.clientId}`, {
        ...auth(tenant.token),
        'last-event-id': '0',
      });
      const got = await sse.waitFor((es) => es.some((e) => e.event === 'INSTANCE_RUNNING'));
      expect(got.filter((e) => e.id).map((e) => e.event)).toEqual([
        'AGENT_STATUS_CHANGED',
        'INSTANCE_LAUNCHING',
        'INSTANCE_RUNNING',
      ]);
      // Events from before this process started are not in its memory: the outbox answered.
      expect(s2.server.bus.replays).toEqual({ ring: 0, outbox: 1 });
      sse.close();
    } finally {
      await s2.close();
    }
  });
});
