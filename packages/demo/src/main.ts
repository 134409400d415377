/**
 * `npm start`: the whole product on one machine, as an operator would run it — the EC2
 * simulator, the control plane on embedded PGlite, one agent process per workload's first
 * host, and cloud-init, which boots an agent on every instance the product launches. The
 * workloads are put in their modes through the API; from then on, whatever moves is the
 * product's doing (or the simulator's). Every part is started through its public command;
 * this file is the only place that knows all of them.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentHosts, type AgentRuntime, demoAwsEnv, startAgentProcess } from './agent-hosts.ts';
import { CloudInit } from './cloud-init.ts';
import { requestJson } from './http-json.ts';
import { DemoOptionError, readDemoOptions } from './options.ts';
import { type Child, freePort, startProcess, waitForHttp } from './processes.ts';
import { loadDemoSecrets } from './secrets.ts';
import { discoverPools, poolList } from './sim-pools.ts';
import { ensureWebBuilt } from './web-build.ts';
import { attachElasticIp, configureWorkload, type ElasticIp, planWorkloads } from './workloads.ts';

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

const pool = (p: { instance_type: string; availability_zone: string }) =>
  `${p.instance_type} ${p.availability_zone}`;

async function main(): Promise<void> {
  const opts = readDemoOptions(process.env);
  const children: Child[] = [];
  let cloudInit: CloudInit | null = null;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Agents first (they finish in-flight work), then the server, then "AWS".
    await cloudInit?.stop();
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

    const plans = planWorkloads(await discoverPools(simUrl, REGION), opts.agents);
    const agentsDir = join(opts.dataDir, 'demo-agents');
    rmSync(agentsDir, { recursive: true, force: true });
    const rt: AgentRuntime = {
      root: ROOT,
      simUrl,
      serverUrl,
      region: REGION,
      speed: opts.speed,
      agentsDir,
      log,
    };

    // cloud-init: every instance the product launches boots its own agent, which joins its
    // workload with the token in the user data; it reports the prices of that workload's pools.
    const candidatesOf = new Map(plans.map((p) => [p.logicalId, poolList(p.candidates)]));
    cloudInit = new CloudInit({
      simUrl,
      awsEnv: demoAwsEnv(rt),
      startAgent: (inst, env) =>
        startAgentProcess(rt, `${env.SPOT_LOGICAL_ID ?? 'agent'}@${inst.instance_id}`, inst.instance_id, {
          ...env,
          SPOT_POOLS: candidatesOf.get(env.SPOT_LOGICAL_ID ?? '') ?? '',
        }),
      log,
    });
    cloudInit.start();

    // The first host of each workload, with an agent registered by the client token.
    const hosts = new AgentHosts(rt, secrets.client_token);
    const started = await Promise.all(
      plans.map(async (plan) => {
        const host = await hosts.start(plan);
        cloudInit!.adopt(host.instanceId, host.agent);
        return { plan, ...host };
      }),
    );

    // The workloads' modes, set through the API as an operator would: web-1 keeps a warm
    // replica behind an Elastic IP (manual_replica), the others observe.
    const addresses = new Map<string, ElasticIp>();
    for (const { plan, instanceId, agentId } of started) {
      const eip = plan.mode === 'manual_replica' ? await attachElasticIp(simUrl, REGION, instanceId) : null;
      if (eip) addresses.set(plan.logicalId, eip);
      await configureWorkload(serverUrl, secrets.client_token, agentId, plan, eip);
    }

    const lines = started.map(({ plan, instanceId }) => {
      const eip = addresses.get(plan.logicalId);
      return [
        `    ${plan.logicalId.padEnd(7)} ${pool(plan.pool).padEnd(21)} ${instanceId}  ${plan.mode}`,
        eip ? `, Elastic IP ${eip.publicIp} (${eip.allocationId})` : '',
        `; candidates: ${plan.candidates.map(pool).join(', ')}`,
      ].join('');
    });
    process.stdout.write(
      [
        '',
        'Spot Optimizer demo is running.',
        `  dashboard:     ${serverUrl}/`,
        `  client token:  ${secrets.client_token}   (sign in with it; also in ${join(opts.dataDir, 'demo-secrets.json')})`,
        `  EC2 simulator: ${simUrl}  (speed ×${opts.speed}, interruptions ${opts.hazardPerHour}/h per instance)`,
        '  workloads:',
        ...lines,
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
