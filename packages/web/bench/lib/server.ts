import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../../../e2e/test/support/database.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface ServerHandle {
  url: string;
  adminToken: string;
  stop(): Promise<void>;
}

/**
 * Starts the real server process (`spot-optimizer serve`) on a free port with a temp data
 * folder, serving the built dashboard. PostgreSQL when TEST_DB=postgres (a fresh database
 * made from TEST_DATABASE_URL), embedded PGlite otherwise.
 */
export async function startServer(env: Record<string, string> = {}): Promise<ServerHandle> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'spot-web-'));
  const adminToken = `admin-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  // The e2e suite's database helper: a fresh PostgreSQL database when TEST_DB=postgres.
  const db = await createDatabase();
  const dbEnv = 'DATABASE_URL' in db.env ? { DATABASE_URL: db.env.DATABASE_URL! } : {};
  const proc: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'packages/server/bin/spot-optimizer.js'), 'serve'],
    {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        SPOT_DATA_DIR: dataDir,
        ADMIN_TOKEN: adminToken,
        // The front (front.ts) serves the bundle; the server only answers the API here.
        WEB_DIST_DIR: join(dataDir, 'no-web'),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '1000000',
        ...dbEnv,
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    adminToken,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 8000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
      await db.dispose();
    },
  };
}
