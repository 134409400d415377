import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../demo/src/processes.ts';
import { Proc } from '../support/process.ts';
import { eventually } from '../support/stack.ts';

/**
 * What a new user gets from `npm start`: the demo launcher (scripts/start.mjs) starts the
 * simulator, the server on embedded PGlite and agents on simulated hosts, and a fleet comes
 * alive without anyone touching it. The demo always runs on PGlite, whatever TEST_DB says.
 */
const CLIENT_TOKEN = `soc_e2e_demo_${randomBytes(16).toString('hex')}`;
let dataDir: string;
let demo: Proc;
let url: string;

async function api<T>(p: string): Promise<T> {
  const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${CLIENT_TOKEN}` } });
  if (!res.ok) throw new Error(`${p}: ${res.status}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'spot-demo-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  demo = new Proc('demo', 'scripts/start.mjs', [], {
    PORT: String(port),
    SPOT_DATA_DIR: dataDir,
    DEMO_SPEED: '30',
    DEMO_AGENTS: '2',
    DEMO_CLIENT_TOKEN: CLIENT_TOKEN,
  });
  await demo.waitForLine((l) => l.includes('Spot Optimizer demo is running'), 110_000);
});

afterAll(async () => {
  await demo?.stop('SIGTERM', 20_000);
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints the dashboard URL and the client token it was given', () => {
    expect(demo.lines.some((l) => l.includes(`dashboard:     ${url}/`))).toBe(true);
    expect(demo.lines.some((l) => l.includes(`client token:  ${CLIENT_TOKEN}`))).toBe(true);
  });

  it('serves the dashboard and keeps the secrets file private', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const secrets = await stat(path.join(dataDir, 'demo-secrets.json'));
    expect(secrets.mode & 0o077).toBe(0);
  });

  it('brings up a live fleet: agents online and launched spot instances RUNNING on simulated ids', async () => {
    const { agents } = await api<{ agents: { logical_id: string; status: string }[] }>('/api/client/agents');
    expect(agents.map((a) => a.logical_id).sort()).toEqual(['web-1', 'web-2']);
    expect(agents.every((a) => a.status === 'online')).toBe(true);
    // The fleet driver launches REPLICAs; each must end RUNNING on an id the simulator gave.
    const running = await eventually(async () => {
      const { instances } = await api<{
        instances: { role: string; status: string; cloud_instance_id: string | null }[];
      }>('/api/client/instances');
      const launched = instances.filter((i) => i.role === 'REPLICA' && i.status === 'RUNNING');
      return launched.length >= 2 ? launched : null;
    }, 90_000);
    for (const i of running) expect(i.cloud_instance_id).toMatch(/^i-[0-9a-f]{17}$/);
  });

  it('reports a reclaimed host as an interruption and brings its agent back on a new host', async () => {
    const simUrl = /EC2 simulator: (http:\/\/\S+)/.exec(demo.lines.join('\n'))![1]!;
    const { agents } = await api<{
      agents: { agent_id: string; logical_id: string; cloud_instance_id: string }[];
    }>('/api/client/agents');
    const before = agents.find((a) => a.logical_id === 'web-1')!;
    const interrupt = await fetch(`${simUrl}/_sim/instances/${before.cloud_instance_id}/interrupt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notice_seconds: 120 }),
    });
    expect(interrupt.status).toBe(200);
    // The agent on that host reads the notice from its IMDS and reports it.
    await eventually(async () => {
      const { interruptions } = await api<{ interruptions: { kind: string; cloud_instance_id: string }[] }>(
        '/api/client/interruptions',
      );
      return interruptions.some(
        (i) => i.kind === 'termination_notice' && i.cloud_instance_id === before.cloud_instance_id,
      );
    }, 60_000);
    // AWS takes the host; the same logical agent comes back on another one, same agent id.
    const after = await eventually(async () => {
      const list = await api<{
        agents: { agent_id: string; logical_id: string; cloud_instance_id: string }[];
      }>('/api/client/agents');
      const a = list.agents.find((x) => x.logical_id === 'web-1');
      return a && a.cloud_instance_id !== before.cloud_instance_id ? a : null;
    }, 90_000);
    expect(after.agent_id).toBe(before.agent_id);
    const { instances } = await api<{ instances: { cloud_instance_id: string | null }[] }>(
      '/api/client/instances',
    );
    expect(instances.some((i) => i.cloud_instance_id === before.cloud_instance_id)).toBe(false);
  });

  it('stops every process it started on SIGTERM', async () => {
    const simUrl = /EC2 simulator: (http:\/\/\S+)/.exec(demo.lines.join('\n'))?.[1];
    expect(simUrl).toBeDefined();
    expect((await fetch(`${simUrl}/_sim/clock`)).status).toBe(200);
    const code = await demo.stop('SIGTERM', 20_000);
    expect(code).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await expect(fetch(`${simUrl}/_sim/clock`)).rejects.toThrow();
  });
});
