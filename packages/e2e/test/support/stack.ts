import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AssociateAddressCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CloudInit } from '../../../demo/src/cloud-init.ts';
import { createDatabase, type E2eDatabase } from './database.ts';
import { Proc } from './process.ts';
import { SseStream } from './sse.ts';

/**
 * The three processes of the product, started through their public entry points as an
 * operator would: the server (`spot-optimizer serve`), the EC2 simulator (`spot-cloud-sim`)
 * and agents (`spot-agent`) on simulated instances, each agent finding "AWS" only through
 * the standard AWS settings.
 */
export const ADMIN_TOKEN = `e2e-admin-${randomBytes(12).toString('hex')}`;

export interface StackOptions {
  /** Simulator clock speed; agents and the server get the same SPOT_TIME_SCALE. */
  speed?: number;
  serverEnv?: Record<string, string>;
  simArgs?: string[];
  /** Have the simulator deliver EventBridge events to the server with this secret header. */
  eventbridgeSecret?: string;
}

export interface Tenant {
  id: string;
  token: string;
}

export interface AgentHandle {
  proc: Proc;
  hostInstanceId: string;
  stateDir: string;
  agentId: string;
}

export class Stack {
  sim!: Proc;
  simUrl!: string;
  server!: Proc;
  serverUrl!: string;
  private serverPort = 0;
  private db!: E2eDatabase;
  private readonly agents: Proc[] = [];
  private readonly cloudInits: CloudInit[] = [];
  private readonly dirs: string[] = [];
  readonly speed: number;

  constructor(private readonly opts: StackOptions = {}) {
    this.speed = opts.speed ?? 20;
  }

  static async start(opts: StackOptions = {}): Promise<Stack> {
    const s = new Stack(opts);
    s.db = await createDatabase();
    const startSim = () => {
      const eventbridge = opts.eventbridgeSecret
        ? [
            '--eventbridge-url',
            `${s.serverUrl}/api/integrations/eventbridge`,
            '--eventbridge-header',
            `X-Spot-EventBridge-Secret: ${opts.eventbridgeSecret}`,
          ]
        : [];
      s.sim = new Proc(
        'sim',
        'packages/cloud-sim/bin/spot-cloud-sim.js',
        [
          '--port',
          '0',
          '--speed',
          String(s.speed),
          '--hazard-per-hour',
          '0',
          ...eventbridge,
          ...(opts.simArgs ?? []),
        ],
        {},
      );
      return s.sim.waitForLine((l) => l.startsWith('spot-cloud-sim listening on '), 60_000);
    };
    // EventBridge needs the server's address first; otherwise both start at once.
    const simLine = opts.eventbridgeSecret
      ? await s.startServer().then(startSim)
      : (await Promise.all([startSim(), s.startServer()]))[0];
    s.simUrl = simLine.replace('spot-cloud-sim listening on ', '').trim();
    return s;
  }

  /** (Re)starts the server; a restart keeps its port and database, so agents find it again. */
  async startServer(): Promise<void> {
    this.server = new Proc('server', 'packages/server/bin/spot-optimizer.js', ['serve'], {
      PORT: String(this.serverPort),
      HOST: '127.0.0.1',
      ADMIN_TOKEN,
      SPOT_TIME_SCALE: String(this.speed),
      LOG_LEVEL: 'info',
      ...this.db.env,
      ...this.opts.serverEnv,
    });
    const ready = await this.server.waitForLog('spot-optimizer listening', {}, 90_000);
    const address = String(ready.address);
    this.serverUrl = address.replace('[::1]', '127.0.0.1');
    this.serverPort = Number(new URL(address).port);
  }

  async stopServer(): Promise<void> {
    await this.server.stop('SIGTERM');
  }

  async createTenant(name = `tenant-${randomBytes(3).toString('hex')}`): Promise<Tenant> {
    const res = await this.api('POST', '/api/admin/clients', ADMIN_TOKEN, { name });
    return { id: res.id as string, token: res.token as string };
  }

  /** A simulated EC2 instance to run an agent on (already running, like a booted host). */
  async createHost(instanceType = 'c5.large', availabilityZone = 'us-east-1a'): Promise<string> {
    const res = await this.sim_('POST', '/_sim/instances', {
      instance_type: instanceType,
      availability_zone: availabilityZone,
      running: true,
    });
    return res.instance_id as string;
  }

  /** Starts `spot-agent` on a (new or given) simulated host; resolves once it has registered. */
  async startAgent(
    tenant: Tenant | null,
    opts: {
      logicalId?: string;
      hostInstanceId?: string;
      stateDir?: string;
      env?: Record<string, string>;
    } = {},
  ): Promise<AgentHandle> {
    const hostInstanceId = opts.hostInstanceId ?? (await this.createHost());
    const stateDir = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'spot-e2e-agent-')));
    if (!opts.stateDir) this.dirs.push(stateDir);
    const proc = new Proc(
      `agent:${opts.logicalId ?? hostInstanceId}`,
      'packages/agent/bin/spot-agent.js',
      [],
      {
        SPOT_SERVER_URL: this.serverUrl,
        ...(tenant ? { SPOT_CLIENT_TOKEN: tenant.token } : {}),
        SPOT_LOGICAL_ID: opts.logicalId ?? `web-${hostInstanceId.slice(-6)}`,
        SPOT_AGENT_STATE_DIR: stateDir,
        SPOT_TIME_SCALE: String(this.speed),
        LOG_LEVEL: 'info',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_EC2: this.simUrl,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `${this.simUrl}/imds/${hostInstanceId}`,
        AWS_ACCESS_KEY_ID: 'AKIAE2ETESTFAKE00000',
        AWS_SECRET_ACCESS_KEY: 'e2e-fake-secret',
        ...opts.env,
      },
    );
    this.agents.push(proc);
    const registered = await proc.waitForLog('agent registered', {}, 60_000);
    return { proc, hostInstanceId, stateDir, agentId: String(registered.agent_id) };
  }

  /**
   * Plays cloud-init: every instance the product launches gets its own agent process, which
   * joins the workload with the token in its user data (as on a real instance).
   */
  startCloudInit(): CloudInit {
    const ci = new CloudInit({
      simUrl: this.simUrl,
      awsEnv: {},
      startAgent: async (inst, env) => {
        const h = await this.startAgent(null, {
          hostInstanceId: inst.instance_id,
          ...(env.SPOT_LOGICAL_ID ? { logicalId: env.SPOT_LOGICAL_ID } : {}),
          env,
        });
        return { stop: async () => void (await h.proc.stop('SIGTERM')) };
      },
    });
    ci.start();
    this.cloudInits.push(ci);
    return ci;
  }

  /**
   * An operator's Elastic IP for a workload: allocated in the simulator and associated with
   * the host through the EC2 API (AssociateAddress), as one would with the AWS CLI.
   */
  async elasticIpFor(instanceId: string): Promise<string> {
    const allocationId = String((await this.sim_('POST', '/_sim/addresses', {})).allocation_id);
    const ec2 = new EC2Client({
      region: 'us-east-1',
      endpoint: this.simUrl,
      credentials: { accessKeyId: 'AKIAE2ETESTFAKE00000', secretAccessKey: 'e2e-fake-secret' },
    });
    try {
      await ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instanceId }));
    } finally {
      ec2.destroy();
    }
    return allocationId;
  }

  openStream(tenant: Tenant): Promise<SseStream> {
    return SseStream.open(this.serverUrl, tenant.id, tenant.token);
  }

  /** A JSON call to the server's API; throws with the error body on non-2xx. */
  async api(method: string, p: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
    return call(this.serverUrl, method, p, { authorization: `Bearer ${token}` }, body);
  }

  /** A JSON call to the simulator's control API. */
  async sim_(method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
    return call(this.simUrl, method, p, {}, body);
  }

  async stop(): Promise<void> {
    await Promise.all(this.cloudInits.map((c) => c.stop()));
    await Promise.all(this.agents.map((a) => a.stop('SIGTERM').catch(() => {})));
    await Promise.all([
      this.server?.stop('SIGTERM').catch(() => {}),
      this.sim?.stop('SIGTERM').catch(() => {}),
    ]);
    await this.db?.dispose().catch(() => {});
    await Promise.all(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

async function call(
  base: string,
  method: string,
  p: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Polls `fn` until it returns a truthy value (AWS-side facts have no event stream to wait on). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
