// `npm run bench -- soak [--minutes 10] [--rate N] [--clients 1000] [--events-per-second 5]`:
// a bounded run of 1,000 SSE clients plus the target heartbeat rate against one server
// process, printing RSS and event-loop delay as it goes, then checking that memory stayed
// flat after warm-up (< 5% growth), open handles did not grow, and no event was lost
// (every client got every event, in sequence).
import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineLine } from './interleave.ts';
import { openLoop } from './open-loop.ts';
import { ms, summarize } from './stats.ts';

const postgres = process.env.TEST_DB === 'postgres';
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: postgres ? '5000' : '2000' },
    clients: { type: 'string', default: '1000' },
    'events-per-second': { type: 'string', default: '5' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const clients = Number(values.clients);
const eventsPerSecond = Number(values['events-per-second']);
const durationMs = minutes * 60_000;
// One line a minute; in a short run, four lines so there is a trend to read.
const sampleMs = Math.min(60_000, durationMs / 4);
// An agent's interval (fleet / rate) longer than the 30 s auth cache lifetime.
const fleetSize = Math.ceil(rate * 35);

console.log(
  `\n# soak on ${postgres ? 'PostgreSQL' : 'embedded PGlite'}: ${minutes} min, ${clients} SSE clients, ${rate} heartbeats/s offered from ${fleetSize} agents, ${eventsPerSecond} events/s`,
);
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const server = fork(here('./soak-server.ts'), [String(fleetSize), String(eventsPerSecond)], {
  execArgv: ['--import', 'tsx'],
});
const children: ChildProcess[] = [server];
const ask = <T>(msg: object, key: string) =>
  new Promise<T>((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (m.error) console.log(`  ! server: ${m.error}`);
      if (!(key in m)) return;
      server.off('message', on);
      resolve(m[key] as T);
    };
    server.on('message', on);
    if (Object.keys(msg).length > 0) server.send(msg);
  });
const ready = await ask<{
  url: string;
  clientId: string;
  token: string;
  agents: Array<{ id: string; token: string }>;
}>({}, 'ready');

const procs = 2;
const share = (i: number) => Math.floor(clients / procs) + (i < clients % procs ? 1 : 0);
const delivered = new Map<string, number>();
const sseProcs = Array.from({ length: procs }, (_, i) => {
  const c = fork(
    here('./sse-clients.ts'),
    [
      JSON.stringify([
        { url: `${ready.url}/api/events/stream/${ready.clientId}`, token: ready.token, count: share(i) },
      ]),
    ],
    { execArgv: ['--import', 'tsx'] },
  );
  children.push(c);
  c.on('message', (m: { done?: string }) => {
    if (m.done) delivered.set(m.done, (delivered.get(m.done) ?? 0) + 1);
  });
  return c;
});
await Promise.all(
  sseProcs.map((c) => new Promise<void>((r) => c.on('message', (m: { ready?: boolean }) => m.ready && r()))),
);

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let cursor = 0;
const body = JSON.stringify({ uptime_seconds: 1 });
const beat = () =>
  new Promise<void>((resolve, reject) => {
    const a = ready.agents[cursor++ % ready.agents.length]!;
    const req = http.request(
      `${ready.url}/api/agents/${a.id}/heartbeat`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${a.token}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          (res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`${res.statusCode}`)),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });

interface Sample {
  rss: number;
  heap: number;
  eldP99: number;
  eldMax: number;
  handles: number;
  sent: number;
}
const samples: Sample[] = [];
let hbErrors = 0;
server.send({ start: true });
const started = performance.now();
const cpu0 = process.cpuUsage();
while (performance.now() - started < durationMs) {
  const slice = Math.min(sampleMs, durationMs - (performance.now() - started)) / 1000;
  const r = await openLoop(rate, slice, beat);
  hbErrors += r.errors;
  const s = await ask<Sample>({ sample: true }, 'sample');
  samples.push(s);
  const hb = summarize(r.samples);
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `  ${((performance.now() - started) / 60_000).toFixed(1).padStart(5)} min  RSS ${mb(s.rss).padStart(9)}  heap ${mb(s.heap).padStart(9)}  event-loop delay p99 ${ms(s.eldP99)} max ${ms(s.eldMax)}  handles ${s.handles}  events ${s.sent}  heartbeats p50 ${ms(hb.p50)} p99 ${ms(hb.p99)} (n=${hb.n}, ${r.errors} failed)`,
  );
}
const wall = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
const sent = await ask<number>({ stop: true }, 'stopped');
await new Promise((r) => setTimeout(r, 500));
const reports = await Promise.all(
  sseProcs.map(
    (c) =>
      new Promise<{ outOfOrder: number; incomplete: number }>((resolve) => {
        c.on('message', (m: { outOfOrder?: number; incomplete: number }) => {
          if (m.outOfOrder !== undefined) resolve(m as { outOfOrder: number; incomplete: number });
        });
        c.send({ report: true });
      }),
  ),
);
const complete = [...delivered.values()].filter((n) => n === procs).length;
const outOfOrder = reports.reduce((s, r) => s + r.outOfOrder, 0);
// RSS and handle counts wobble minute to minute (GC timing, heartbeat sockets in flight), so
// one sample against another says little: the median of the later half is compared with the
// median of the earlier half (the first minute is the warm-up baseline's start), and the
// range is printed beside it.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const half = Math.max(1, Math.floor(samples.length / 2));
const early = samples.slice(0, half);
const late = samples.length > 1 ? samples.slice(-half) : early;
const rssEarly = median(early.map((x) => x.rss));
const rssLate = median(late.map((x) => x.rss));
const growth = (rssLate - rssEarly) / rssEarly;
const mb = (n: number) => (n / 1048576).toFixed(0);
const rssAll = samples.map((x) => x.rss);
console.log(
  `  memory after warm-up: RSS median ${mb(rssEarly)} → ${mb(rssLate)} MB, ${(growth * 100).toFixed(1)}% (earlier half → later half; range ${mb(Math.min(...rssAll))}–${mb(Math.max(...rssAll))} MB)   goal < 5%  ${growth < 0.05 ? 'met' : 'NOT met'}`,
);
const handlesEarly = Math.max(...early.map((x) => x.handles));
const handlesLate = Math.max(...late.map((x) => x.handles));
// A few sockets in flight at the sampling instant are not a leak; a leak climbs every minute.
const handleSlack = Math.max(10, Math.ceil(handlesEarly * 0.01));
console.log(
  `  open handles: most in the earlier half ${handlesEarly}, in the later half ${handlesLate}   ${handlesLate <= handlesEarly + handleSlack ? `no growth (within ${handleSlack})` : 'GREW'}`,
);
console.log(
  `  events: ${sent} committed, ${complete} reached all ${clients} clients, ${outOfOrder} out of order   ${complete === sent && outOfOrder === 0 ? 'nothing lost' : 'LOST EVENTS'}`,
);
if (hbErrors > 0) console.log(`  ! ${hbErrors} heartbeats failed`);
machineLine('soak, heartbeat generator', cpu, wall);
agent.destroy();
server.send({ exit: true });
await new Promise((r) => server.once('exit', r));
for (const c of children) c.kill();
process.exit(0);
