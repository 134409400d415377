import { resolve } from 'node:path';

export interface DemoOptions {
  port: number;
  host: string;
  dataDir: string;
  /** Simulated clock speed; every server and agent interval is divided by the same factor. */
  speed: number;
  agents: number;
  /** Interruptions per simulated hour per spot instance (so a demo shows some). */
  hazardPerHour: number;
  clientToken: string | undefined;
  keepData: boolean;
}

export class DemoOptionError extends Error {}

function num(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new DemoOptionError(`${name} must be a number between ${min} and ${max} (got "${raw}")`);
  }
  return n;
}

/** The demo's settings, read once from the environment (README lists them). */
export function readDemoOptions(env: NodeJS.ProcessEnv): DemoOptions {
  const clientToken = env.DEMO_CLIENT_TOKEN || undefined;
  if (clientToken !== undefined && !/^[\x21-\x7e]{24,200}$/.test(clientToken)) {
    throw new DemoOptionError('DEMO_CLIENT_TOKEN must be 24-200 printable characters without spaces');
  }
  return {
    port: Math.trunc(num(env, 'PORT', 8080, 0, 65535)),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.SPOT_DATA_DIR || './data'),
    speed: num(env, 'DEMO_SPEED', 10, 1, 1000),
    agents: Math.trunc(num(env, 'DEMO_AGENTS', 3, 1, 50)),
    hazardPerHour: num(env, 'DEMO_HAZARD_PER_HOUR', 0.6, 0, 100),
    clientToken,
    keepData: env.DEMO_KEEP_DATA === '1',
  };
}
