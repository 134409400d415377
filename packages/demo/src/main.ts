/**
 * `npm start`: the whole product on one machine, as an operator would run it — the EC2
 * simulator, the control plane on embedded PGlite, and one agent process per simulated
 * host instance — plus a small driver that keeps a fleet moving. Every part is started
 * through its public command; this file is the only place that knows all of them.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentHosts } from './agent-hosts.ts';
import { FleetDriver, type Pool } from './fleet-driver.ts';
import { requestJson } from './http-json.ts';
import { DemoOptionError, readDemoOptions } from './options.ts';
import { type Child, freePort, startProcess, waitForHttp } from './processes.ts';
import { loadDemoSecrets } from './secrets.ts';
import { discoverPools } from './sim-pools.ts';
import { ensureWebBuilt } from './web-build.ts';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const REGION = 'us-east-1';
const log = (m: string) => process.stderr.write(`[demo] ${m}\n`);

/** Creates the demo tenant with the demo's token unless that token already works. */
async function ensureClient(serverUrl: string, adminToken: string, clientToken: string): Promise<void> {
  const probe = await fetch(`${serverUrl}/api/client/agents`, {
    headers: { authorization: `Bearer ${clientToken}` },
  });
  if (probe.ok) return;
  await requestJson(`${serverUrl}/api/admin/clients`, {
    method: 'POST',
    token: adminToken,
    body: { name: 'demo', token: clientToken },
  });
}

async function main(): Promise<void> {
  const opts = readDemoOptions(process.env);
  const children: Child[] = [];
  let driver: FleetDriver | null = null;
  let hosts: AgentHosts | null = null;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    driver?.stop();
    // Agents first (they finish in-flight work), then the server, then "AWS".
    await hosts?.stop();
    const order = [...children].reverse();
    for (const c of order) await c.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  try {
    ensureWebBuilt(ROOT, log);
    const secrets = loadDemoSecrets(opts.dataDir, opts.clientToken);
    // The simulated cloud starts empty each run, so the demo's database does too: instances
    // recorded against a previous run's simulator would otherwise never resolve.
    const dbDir = join(opts.dataDir, 'demo-db');
    if (!opts.keepData) rmSync(dbDir, { recursive: true, force: true });

    const sim = await startProcess(
      'cloud-sim',
      join(ROOT, 'packages/cloud-sim/bin/spot-cloud-sim.js'),
      [
        '--port',
        '0',
        '--speed',
        String(opts.speed),
        '--region',
        REGION,
        '--hazard-per-hour',
        String(opts.hazardPerHour),
      ],
      {},
      { ready: (line) => /listening on http:\/\/\S+/.test(line), quiet: true },
    );
    children.push(sim.child);
    const simUrl = /listening on (http:\/\/\S+)/.exec(sim.readyLine ?? '')![1]!;

    // PORT=0 means "any free port": pick it here so the printed URL is the real one.
    const port = opts.port === 0 ? await freePort() : opts.port;
    const serverUrl = `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`;
    const server = await startProcess(
      'server',
      join(ROOT, 'packages/server/bin/spot-optimizer.js'),
      ['serve'],
      {
        PORT: String(port),
        HOST: opts.host,
        SPOT_DATA_DIR: dbDir,
        ADMIN_TOKEN: secrets.admin_token,
        SPOT_TIME_SCALE: String(opts.speed),
        LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
      },
      {},
    );
    children.push(server.child);
    await waitForHttp(`${serverUrl}/health`);
    await ensureClient(serverUrl, secrets.admin_token, secrets.client_token);

    const pools: Pool[] = await discoverPools(simUrl, REGION);
    if (pools.length === 0) throw new Error('the simulator reports no spot prices');
    const agentsDir = join(opts.dataDir, 'demo-agents');
    rmSync(agentsDir, { recursive: true, force: true });

    hosts = new AgentHosts({
      root: ROOT,
      simUrl,
      serverUrl,
      clientToken: secrets.client_token,
      region: REGION,
      speed: opts.speed,
      pools,
      agentsDir,
      log,
    });
    for (let i = 0; i < opts.agents; i++) await hosts.start(`web-${i + 1}`, pools[i % pools.length]!);
    hosts.watch();

    driver = new FleetDriver(
      serverUrl,
      secrets.client_token,
      pools,
      log,
      2,
      Math.max(500, 40_000 / opts.speed),
    );
    driver.start();

    process.stdout.write(
      [
        '',
        'Spot Optimizer demo is running.',
        `  dashboard:     ${serverUrl}/`,
        `  client token:  ${secrets.client_token}   (sign in with it; also in ${join(opts.dataDir, 'demo-secrets.json')})`,
        `  EC2 simulator: ${simUrl}  (speed ×${opts.speed}, ${opts.agents} agents, pools: ${pools.length})`,
        '  Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    const message = err instanceof DemoOptionError ? err.message : `demo failed: ${(err as Error).message}`;
    log(message);
    await stopAll(err instanceof DemoOptionError ? 2 : 1);
  }
}

void main();
