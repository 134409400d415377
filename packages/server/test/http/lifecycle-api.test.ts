import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('launch → confirm → terminate → confirm', () => {
  it('walks an instance through its lifecycle with history, durations and a command for the agent', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent('web-1');
    const launched = await tenant.launch(agent.agent_id);
    expect(launched.status).toBe('LAUNCHING');
    expect(launched.command_id).toBeTruthy();

    const poll = await t.request('GET', `/api/agents/${agent.agent_id}/pending-commands`, {
      token: agent.agent_token,
    });
    expect(poll.status).toBe(200);
    expect(poll.body.commands).toHaveLength(1);
    const cmd = poll.body.commands[0];
    expect(cmd).toMatchObject({ id: launched.command_id, command_type: 'LAUNCH_INSTANCE', priority: 100 });
    expect(cmd.metadata).toMatchObject({
      instance_id: launched.instance_id,
      instance_type: 't3.medium',
      logical_id: 'web-1',
    });

    const ok = await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id: launched.instance_id, cloud_instance_id: 'i-0abc123', state: 'running' },
    });
    expect(ok.body).toMatchObject({ status: 'RUNNING', outcome: 'applied' });

    const inst = await t.request('GET', `/api/client/instances/${launched.instance_id}`, {
      token: tenant.token,
    });
    expect(inst.body).toMatchObject({
      status: 'RUNNING',
      role: 'PRIMARY',
      cloud_instance_id: 'i-0abc123',
      version: 2,
    });
    expect(inst.body.launch_duration_seconds).toBeCloseTo(
      (Date.parse(inst.body.launch_confirmed_at) - Date.parse(inst.body.launch_requested_at)) / 1000,
      3,
    );

    const term = await t.request('POST', `/api/client/instances/${launched.instance_id}/terminate`, {
      token: tenant.token,
      body: { reason: 'scale down' },
    });
    expect(term.status).toBe(202);
    expect(term.body.status).toBe('TERMINATING');

    const gone = await t.request('POST', `/api/agents/${agent.agent_id}/instance-terminated`, {
      token: agent.agent_token,
      body: { instance_id: launched.instance_id, cloud_instance_id: 'i-0abc123', state: 'terminated' },
    });
    expect(gone.body).toMatchObject({ status: 'TERMINATED', outcome: 'applied' });

    const active = await t.request('GET', '/api/client/instances', { token: tenant.token });
    expect(active.body.instances).toHaveLength(0);
    const history = await t.request('GET', '/api/client/instances/terminated', { token: tenant.token });
    expect(history.body.instances.map((i: { instance_id: string }) => i.instance_id)).toEqual([
      launched.instance_id,
    ]);
    expect(history.body.instances[0].termination_reason).toBe('scale down');

    const events = await t.request('GET', `/api/client/instances/${launched.instance_id}/history`, {
      token: tenant.token,
    });
    expect(events.body.events.map((e: { event_type: string }) => e.event_type)).toEqual([
      'LAUNCH_REQUESTED',
      'LAUNCH_CONFIRMED',
      'TERMINATE_REQUESTED',
      'TERMINATE_CONFIRMED',
    ]);
    expect(events.body.events[1]).toMatchObject({
      source: 'agent',
      confirmation_method: 'agent_aws_poll',
      cloud_instance_id: 'i-0abc123',
    });
  });

  // Issue 12.2: twenty concurrent requests gave one command but twenty TERMINATE_REQUESTED.
  it('records one terminate request and its concurrent repeats as repeats, with one command', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id } = await tenant.launch(agent.agent_id);
    await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id, cloud_instance_id: 'i-0abcd99', state: 'running' },
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.request('POST', `/api/client/instances/${instance_id}/terminate`, {
          token: tenant.token,
          body: {},
        }),
      ),
    );
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBeLessThan(300);
    expect(new Set(answers.map((a) => a.body.command_id).filter(Boolean)).size).toBe(1);
    const events = await t.request('GET', `/api/client/instances/${instance_id}/history`, {
      token: tenant.token,
    });
    const types = events.body.events.map((e: { event_type: string }) => e.event_type);
    expect(types.filter((x: string) => x === 'TERMINATE_REQUESTED')).toHaveLength(1);
    expect(types.filter((x: string) => x === 'TERMINATE_REQUEST_REPEATED')).toHaveLength(19);
    expect(types.indexOf('TERMINATE_REQUESTED')).toBeLessThan(types.indexOf('TERMINATE_REQUEST_REPEATED'));
  });

  it('answers repeated confirmations 2xx without a second event and never moves backwards', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id } = await tenant.launch(agent.agent_id);
    const confirm = () =>
      t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
        token: agent.agent_token,
        body: { instance_id, cloud_instance_id: 'i-0def', state: 'running' },
      });
    expect((await confirm()).body.outcome).toBe('applied');
    expect((await confirm()).body.outcome).toBe('duplicate');
    await t.request('POST', `/api/client/instances/${instance_id}/terminate`, { token: tenant.token });
    await t.request('POST', `/api/agents/${agent.agent_id}/instance-terminated`, {
      token: agent.agent_token,
      body: { instance_id, state: 'terminated' },
    });
    const late = await confirm();
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ status: 'TERMINATED', outcome: 'late' });
    const events = await t.request('GET', `/api/client/instances/${instance_id}/history`, {
      token: tenant.token,
    });
    const types = events.body.events.map((e: { event_type: string }) => e.event_type);
    expect(types.filter((x: string) => x === 'LAUNCH_CONFIRMED')).toHaveLength(1);
    expect(types).toContain('CONFIRMATION_DUPLICATE');
    expect(types).toContain('CONFIRMATION_LATE');
  });

  it('refuses to terminate from a state that cannot terminate (409) and changes nothing', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id } = await tenant.launch(agent.agent_id);
    const res = await t.request('POST', `/api/client/instances/${instance_id}/terminate`, {
      token: tenant.token,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('INVALID_TRANSITION');
    const inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body).toMatchObject({ status: 'LAUNCHING', version: 1 });
  });

  it('fails the instance with the AWS error code when the agent reports a failed launch', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id, command_id } = await tenant.launch(agent.agent_id);
    const res = await t.request('POST', `/api/agents/${agent.agent_id}/commands/${command_id}/result`, {
      token: agent.agent_token,
      body: {
        success: false,
        message: 'no capacity',
        result: { error_code: 'InsufficientInstanceCapacity' },
      },
    });
    expect(res.body).toMatchObject({ status: 'failed', duplicate: false });
    const inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body).toMatchObject({ status: 'FAILED', error_code: 'InsufficientInstanceCapacity' });
    const again = await t.request('POST', `/api/agents/${agent.agent_id}/commands/${command_id}/result`, {
      token: agent.agent_token,
      body: { success: false, result: { error_code: 'InsufficientInstanceCapacity' } },
    });
    expect(again.body.duplicate).toBe(true);
  });

  it('records the cloud id while LAUNCHING when RunInstances succeeded', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const { instance_id, command_id } = await tenant.launch(agent.agent_id);
    await t.request('POST', `/api/agents/${agent.agent_id}/commands/${command_id}/result`, {
      token: agent.agent_token,
      body: { success: true, result: { cloud_instance_id: 'i-0feed' } },
    });
    const inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: tenant.token });
    expect(inst.body).toMatchObject({ status: 'LAUNCHING', cloud_instance_id: 'i-0feed' });
  });

  it('gives the same agent id for the same logical id', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent('db-1');
    const b = await tenant.registerAgent('db-1');
    expect(b.agent_id).toBe(a.agent_id);
    expect(b.agent_token).not.toBe(a.agent_token);
    // Both tokens keep working: a restarted agent that kept its token is not locked out.
    for (const token of [a.agent_token, b.agent_token]) {
      const hb = await t.request('POST', `/api/agents/${a.agent_id}/heartbeat`, { token, body: {} });
      expect(hb.status).toBe(200);
    }
  });
});

describe('tenancy and credentials', () => {
  it('answers another tenant’s ids with 404 and refuses foreign agent tokens', async () => {
    const a = await t.newTenant();
    const b = await t.newTenant();
    const agentA = await a.registerAgent();
    const agentB = await b.registerAgent();
    const { instance_id } = await a.launch(agentA.agent_id);
    for (const path of [
      `/api/client/instances/${instance_id}`,
      `/api/client/instances/${instance_id}/history`,
    ]) {
      expect((await t.request('GET', path, { token: b.token })).status).toBe(404);
    }
    const term = await t.request('POST', `/api/client/instances/${instance_id}/terminate`, {
      token: b.token,
    });
    expect(term.status).toBe(404);
    const launchForeign = await t.request('POST', '/api/client/instances/launch', {
      token: b.token,
      body: { agent_id: agentA.agent_id, instance_type: 't3.medium' },
    });
    expect(launchForeign.status).toBe(404);
    // Agent B's token cannot confirm agent A's instance, even naming agent A in the path.
    const foreign = await t.request('POST', `/api/agents/${agentA.agent_id}/instance-launched`, {
      token: agentB.agent_token,
      body: { instance_id, cloud_instance_id: 'i-0bad', state: 'running' },
    });
    expect(foreign.status).toBe(403);
    const viaOwnPath = await t.request('POST', `/api/agents/${agentB.agent_id}/instance-launched`, {
      token: agentB.agent_token,
      body: { instance_id, cloud_instance_id: 'i-0bad', state: 'running' },
    });
    expect(viaOwnPath.status).toBe(404);
    const inst = await t.request('GET', `/api/client/instances/${instance_id}`, { token: a.token });
    expect(inst.body.status).toBe('LAUNCHING');
  });

  it('keeps client tokens off admin routes and requires credentials', async () => {
    const a = await t.newTenant();
    expect((await t.request('GET', '/api/admin/clients', { token: a.token })).status).toBe(403);
    expect((await t.request('GET', '/api/admin/clients')).status).toBe(401);
    expect(
      (await t.request('GET', '/api/client/instances', { token: 'soc_not-a-real-token-xyz' })).status,
    ).toBe(401);
    const list = await t.request('GET', '/api/admin/clients', { token: ADMIN_TOKEN });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(a.token);
  });

  it('stores tokens hashed, never in clear', async () => {
    const a = await t.newTenant();
    const agent = await a.registerAgent();
    const dump = JSON.stringify([
      await t.db.kysely.selectFrom('clients').selectAll().execute(),
      await t.db.kysely.selectFrom('agent_tokens').selectAll().execute(),
      await t.db.kysely.selectFrom('server_settings').selectAll().execute(),
      await t.db.kysely.selectFrom('audit_log').selectAll().execute(),
    ]);
    for (const secret of [a.token, agent.agent_token, ADMIN_TOKEN]) expect(dump).not.toContain(secret);
  });
});

describe('idempotency', () => {
  it('returns the stored response for a repeated Idempotency-Key and refuses it for another body', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const body = { agent_id: agent.agent_id, instance_type: 't3.medium' };
    const headers = { 'idempotency-key': 'launch-42' };
    const first = await t.request('POST', '/api/client/instances/launch', {
      token: tenant.token,
      body,
      headers,
    });
    const second = await t.request('POST', '/api/client/instances/launch', {
      token: tenant.token,
      body,
      headers,
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const other = await t.request('POST', '/api/client/instances/launch', {
      token: tenant.token,
      body: { ...body, instance_type: 'm5.large' },
      headers,
    });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const active = await t.request('GET', '/api/client/instances', { token: tenant.token });
    expect(active.body.instances).toHaveLength(1);
    // The key became the command's request id, i.e. RunInstances' ClientToken.
    const poll = await t.request('GET', `/api/agents/${agent.agent_id}/pending-commands`, {
      token: agent.agent_token,
    });
    expect(poll.body.commands[0].request_id).toBe('launch-42');
  });

  it('accepts the seeds’ X-Request-ID the same way', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const body = { agent_id: agent.agent_id, instance_type: 't3.medium' };
    const headers = { 'x-request-id': 'req-7' };
    const a = await t.request('POST', '/api/client/instances/launch', { token: tenant.token, body, headers });
    const b = await t.request('POST', '/api/client/instances/launch', { token: tenant.token, body, headers });
    expect(b.body.instance_id).toBe(a.body.instance_id);
  });

  it('runs concurrent requests with one key only once', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const body = { agent_id: agent.agent_id, instance_type: 't3.medium' };
    const headers = { 'idempotency-key': 'same-time' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.request('POST', '/api/client/instances/launch', { token: tenant.token, body, headers }),
      ),
    );
    for (const r of results) expect([202, 409]).toContain(r.status);
    const active = await t.request('GET', '/api/client/instances', { token: tenant.token });
    expect(active.body.instances).toHaveLength(1);
  });
});

describe('documentation', () => {
  it('lists every route in the OpenAPI document', async () => {
    const doc = await t.request('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    const documented = new Set(Object.keys(doc.body.paths).map((p) => p.replace(/\{(\w+)\}/g, ':$1')));
    const routes = t.server.app.routeList.map((r) => r.split(' ')[1]!).filter((p) => !p.includes('*'));
    expect(routes.length).toBeGreaterThan(20);
    for (const r of routes) {
      if (r === '/api/openapi.json') continue;
      expect(documented, `route ${r} missing from OpenAPI`).toContain(r);
    }
  });
});

describe('adoption at registration', () => {
  it('brings the agent’s own instance into the lifecycle through LAUNCHING, once', async () => {
    const tenant = await t.newTenant();
    const body = {
      logical_id: 'adopted-1',
      cloud_instance_id: 'i-0ad0',
      instance_type: 'm5.large',
      availability_zone: 'us-east-1b',
      region: 'us-east-1',
    };
    const first = await t.request('POST', '/api/agents/register', { token: tenant.token, body });
    expect(first.body.instance_id).toBeTruthy();
    const again = await t.request('POST', '/api/agents/register', { token: tenant.token, body });
    expect(again.body.instance_id).toBe(first.body.instance_id);
    const inst = await t.request('GET', `/api/client/instances/${first.body.instance_id}`, {
      token: tenant.token,
    });
    expect(inst.body).toMatchObject({
      status: 'RUNNING',
      role: 'PRIMARY',
      cloud_instance_id: 'i-0ad0',
      instance_type: 'm5.large',
    });
    const history = await t.request('GET', `/api/client/instances/${first.body.instance_id}/history`, {
      token: tenant.token,
    });
    expect(history.body.events.map((e: any) => [e.event_type, e.confirmation_method])).toEqual([
      ['LAUNCH_REQUESTED', null],
      ['LAUNCH_CONFIRMED', 'agent_registration'],
    ]);
    expect(inst.body.market).toBe('spot');
  });

  it('records the market the agent read from IMDS, so an on-demand host is not billed as spot', async () => {
    const tenant = await t.newTenant();
    const reg = await t.request('POST', '/api/agents/register', {
      token: tenant.token,
      body: {
        logical_id: 'adopted-od',
        cloud_instance_id: 'i-0ad1',
        instance_type: 'm5.large',
        availability_zone: 'us-east-1b',
        market: 'on-demand',
      },
    });
    const inst = await t.request('GET', `/api/client/instances/${reg.body.instance_id}`, {
      token: tenant.token,
    });
    expect(inst.body.market).toBe('on-demand');
    const bad = await t.request('POST', '/api/agents/register', {
      token: tenant.token,
      body: { logical_id: 'adopted-x', market: 'reserved' },
    });
    expect(bad.status).toBe(400);
  });
});

describe('instance lists', () => {
  it('show each instance exactly as the instance itself reads (timestamps written by the database)', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent('lists-1');
    const running = await tenant.launch(agent.agent_id);
    await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id: running.instance_id, cloud_instance_id: 'i-0list1', state: 'running' },
    });
    const launching = await tenant.launch(agent.agent_id, { instance_type: 'm5.large' });
    const ended = await tenant.launch(agent.agent_id, { instance_type: 'c5.large' });
    await t.request('POST', `/api/client/instances/${ended.instance_id}/terminate`, {
      token: tenant.token,
      body: { reason: 'scale down' },
    });
    await t.request('POST', `/api/agents/${agent.agent_id}/instance-terminated`, {
      token: agent.agent_token,
      body: { instance_id: ended.instance_id, state: 'terminated' },
    });
    // Microseconds the API drops (a Date holds milliseconds): the lists must drop them the same way.
    await t.db.kysely
      .updateTable('instances')
      .set({ launch_requested_at: '2026-01-02T03:04:05.678999Z', created_at: '2026-01-02T03:04:05.000999Z' })
      .where('id', '=', launching.instance_id)
      .execute();
    const one = async (id: string) =>
      (await t.request('GET', `/api/client/instances/${id}`, { token: tenant.token })).body;
    const active = await t.request('GET', '/api/client/instances', { token: tenant.token });
    expect(active.body.instances).toEqual([await one(running.instance_id), await one(launching.instance_id)]);
    expect(active.body.instances[1].launch_requested_at).toBe('2026-01-02T03:04:05.678Z');
    const history = await t.request('GET', '/api/client/instances/terminated', { token: tenant.token });
    expect(history.body.instances).toEqual([await one(ended.instance_id)]);
    expect(history.body.instances[0].termination_confirmed_at).toEqual(expect.any(String));
  });
});
