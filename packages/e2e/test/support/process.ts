import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, for the public entry points (bin/…). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * A real child process started through its public entry point, with its output kept line
 * by line (JSON logs are parsed) so tests can wait for what it says.
 */
export class Proc {
  readonly lines: string[] = [];
  readonly json: Record<string, unknown>[] = [];
  private readonly child: ChildProcess;
  private listeners: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    script: string,
    args: string[],
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [path.join(REPO, script), ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let buf = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buf += chunk;
        let i = buf.indexOf('\n');
        while (i >= 0) {
          this.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
        }
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private push(line: string): void {
    this.lines.push(line);
    if (process.env.E2E_VERBOSE) console.log(`[${this.name}] ${line}`);
    if (line.startsWith('{')) {
      try {
        this.json.push(JSON.parse(line) as Record<string, unknown>);
      } catch {}
    }
    for (const l of this.listeners) l();
  }

  /** Resolves with the first line (past or future) that matches; rejects on timeout or exit. */
  waitForLine(match: (line: string) => boolean, timeoutMs = 30_000, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.slice(from).find(match);
        if (hit !== undefined) {
          done();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${this.name}: no matching line within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join('\n')}`,
          ),
        );
      }, timeoutMs);
      const onExit = () => {
        check();
        done();
        reject(
          new Error(
            `${this.name} exited (code ${this.child.exitCode}); last lines:\n${this.lines.slice(-15).join('\n')}`,
          ),
        );
      };
      const done = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        this.child.off('exit', onExit);
      };
      this.listeners.push(check);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** Waits for a JSON log line whose `msg` is `msg` (and whose fields match `where`). */
  async waitForLog(msg: string, where: Record<string, unknown> = {}, timeoutMs = 30_000, from = 0) {
    const line = await this.waitForLine(
      (l) => {
        if (!l.startsWith('{')) return false;
        try {
          const j = JSON.parse(l) as Record<string, unknown>;
          return j.msg === msg && Object.entries(where).every(([k, v]) => j[k] === v);
        } catch {
          return false;
        }
      },
      timeoutMs,
      from,
    );
    return JSON.parse(line) as Record<string, unknown>;
  }

  /** Sends a signal to this process (by its own pid) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
