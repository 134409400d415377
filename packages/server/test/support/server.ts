import { randomUUID } from 'node:crypto';
import type { LaunchResponse, RegisterResponse } from '@spot/contract';
import pino from 'pino';
import { type CreateOptions, createServer, type SpotServer } from '../../src/app/create-server.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/database.ts';
import { createTestDatabase, type TestDatabase } from './databases.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestServer {
  server: SpotServer;
  db: Db;
  testDb: TestDatabase;
  /** Base URL when started with listen: true. */
  url: string;
  request(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{
    status: number;
    body: any;
    headers: Record<string, unknown>;
  }>;
  newTenant(name?: string): Promise<Tenant>;
  /** Stop the server (keeps the database for a restart). */
  stop(): Promise<void>;
  /** Stop and drop the database. */
  close(): Promise<void>;
}

export interface Tenant {
  clientId: string;
  token: string;
  registerAgent(logicalId?: string): Promise<RegisterResponse>;
  launch(agentId: string, extra?: Record<string, unknown>): Promise<LaunchResponse>;
}

export interface StartOptions {
  env?: Record<string, string>;
  listen?: boolean;
  jobs?: boolean;
  testDb?: TestDatabase;
  now?: () => Date;
  /** Model registry seams (a served model that throws or hangs, the timeout's timer). */
  models?: CreateOptions['models'];
}

/** A real server on a real (test) database; requests go through Fastify's inject or real HTTP. */
export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const testDb = options.testDb ?? (await createTestDatabase());
  const db = await testDb.open();
  const config = loadConfig({
    ADMIN_TOKEN,
    PORT: '0',
    LOG_LEVEL: 'silent',
    WEB_DIST_DIR: '/nonexistent',
    ...options.env,
  });
  const server = await createServer(config, {
    db,
    jobs: options.jobs ?? false,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.models ? { models: options.models } : {}),
  });
  const url = options.listen ? await server.listen() : '';

  const request: TestServer['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const res = await server.app.inject({ method: method as 'GET', url: path, headers, payload });
    let body: unknown = res.body;
    try {
      body = res.json();
    } catch {}
    return { status: res.statusCode, body, headers: res.headers };
  };

  const newTenant = async (name = `tenant-${randomUUID().slice(0, 8)}`): Promise<Tenant> => {
    const res = await request('POST', '/api/admin/clients', { token: ADMIN_TOKEN, body: { name } });
    if (res.status !== 201) throw new Error(`create client: ${res.status} ${JSON.stringify(res.body)}`);
    const token = res.body.token as string;
    return {
      clientId: res.body.id,
      token,
      async registerAgent(logicalId = `web-${randomUUID().slice(0, 6)}`) {
        const r = await request('POST', '/api/agents/register', {
          token,
          body: {
            logical_id: logicalId,
            region: 'us-east-1',
            instance_type: 't3.medium',
            availability_zone: 'us-east-1a',
          },
        });
        if (r.status !== 200) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body;
      },
      async launch(agentId, extra = {}) {
        const r = await request('POST', '/api/client/instances/launch', {
          token,
          body: { agent_id: agentId, instance_type: 't3.medium', availability_zone: 'us-east-1a', ...extra },
        });
        if (r.status !== 202) throw new Error(`launch: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body;
      },
    };
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
    await db.close();
  };
  return {
    server,
    db,
    testDb,
    url,
    request,
    newTenant,
    stop,
    async close() {
      await stop();
      await testDb.dispose();
    },
  };
}
