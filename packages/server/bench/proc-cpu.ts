import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of other processes (the server under test, its peer, PostgreSQL's backends), read
 * from /proc: on a shared 2-core machine the latency of a rate depends on who else runs, but
 * the CPU one request costs each process is a figure of the code. Linux only; elsewhere null.
 */
let tickMs: number | null | undefined;
function msPerTick(): number | null {
  if (tickMs !== undefined) return tickMs;
  try {
    tickMs = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    tickMs = null;
  }
  return tickMs;
}

/** User and system CPU of one process in ms, or null when /proc cannot tell. */
export function processCpuMs(pid: number | undefined): { user: number; system: number } | null {
  const tick = msPerTick();
  if (pid === undefined || tick === null) return null;
  try {
    const [user, system] = userSystemTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { user: user * tick, system: system * tick };
  } catch {
    return null;
  }
}

/** Summed CPU of every process named `postgres` (the postmaster and its backends), in ms. */
export function postgresCpuMs(): number | null {
  const tick = msPerTick();
  if (tick === null) return null;
  let total = 0;
  let seen = false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const [user, system] = userSystemTicks(stat);
      total += user + system;
      seen = true;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return seen ? total * tick : null;
}

// Fields after the parenthesised command name: state is the 3rd, utime the 14th, stime the 15th.
function userSystemTicks(stat: string): [number, number] {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(rest[11]), Number(rest[12])];
}

/** CPU used by a process (and PostgreSQL) over a run of requests, per request in µs. */
export class CpuPerRequest {
  private user = 0;
  private system = 0;
  private db = 0;
  private requests = 0;
  private known = true;

  /** Runs one block; `count` says how many requests it made. */
  async measure<T>(pid: number | undefined, run: () => Promise<T>, count: (out: T) => number): Promise<T> {
    const p0 = processCpuMs(pid);
    const d0 = postgresCpuMs();
    const out = await run();
    const p1 = processCpuMs(pid);
    const d1 = postgresCpuMs();
    if (p0 === null || p1 === null || d0 === null || d1 === null) this.known = false;
    else {
      this.user += p1.user - p0.user;
      this.system += p1.system - p0.system;
      this.db += d1 - d0;
      this.requests += count(out);
    }
    return out;
  }

  /** µs per request of the process (and of it, in the kernel) and of PostgreSQL, or null when not measurable here. */
  perRequest(): { processUs: number; systemUs: number; databaseUs: number } | null {
    if (!this.known || this.requests === 0) return null;
    const us = (ms: number) => (ms * 1000) / this.requests;
    return { processUs: us(this.user + this.system), systemUs: us(this.system), databaseUs: us(this.db) };
  }
}
