import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface Child {
  proc: ChildProcess;
  name: string;
  /** Whether stop() was called (an exit after it is expected). */
  readonly stopping: boolean;
  /** The last lines it printed (a quiet child's are kept only here), to say why it died. */
  lastLines(): string[];
  stop(): Promise<void>;
}

/**
 * Starts one of the product's processes through its public command, prefixes its output
 * with its name, and resolves once `ready(line)` accepts a line of its stdout (or at once).
 */
export function startProcess(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { ready?: (line: string) => boolean; quiet?: boolean; timeoutMs?: number } = {},
): Promise<{ child: Child; readyLine: string | null }> {
  const proc = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last lines are kept, so a failure to start (or a later death) says why.
  const recent: string[] = [];
  let stopping = false;
  const child: Child = {
    proc,
    name,
    get stopping() {
      return stopping;
    },
    lastLines: () => [...recent],
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 8000).unref();
      }),
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (!settled) reject(new Error(`${name} did not become ready`));
    }, options.timeoutMs ?? 60_000);
    if (!options.ready) {
      settled = true;
      clearTimeout(timer);
      resolve({ child, readyLine: null });
    }
    const onLine = (stream: 'out' | 'err') => (line: string) => {
      if (!settled && stream === 'out' && options.ready?.(line)) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, readyLine: line });
        return;
      }
      if (recent.push(line) > 20) recent.shift();
      if (!options.quiet) process.stderr.write(`[${name}] ${line}\n`);
    };
    createInterface({ input: proc.stdout! }).on('line', onLine('out'));
    createInterface({ input: proc.stderr! }).on('line', onLine('err'));
    proc.once('exit', (code) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        const said = options.quiet && recent.length ? `:\n${recent.join('\n')}` : '';
        reject(new Error(`${name} exited with code ${code} before it was ready${said}`));
      }
    });
  });
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer`);
}

/** A port that was free a moment ago (the OS picks it), for a child that cannot report its own. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
