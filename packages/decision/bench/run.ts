// `npm run bench` (suite "decision"): replay throughput on the 2016 trace, decision latency of
// `rules`, and every policy's regret on the evaluation windows with the issue's goal for
// `rules` per window. Reads ../shared/spotdata in place; skips with a message when absent.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPolicy, createRules, type Policy } from '../src/policy/index.ts';
import { readOnDemand, readSpotPrices } from '../src/prices/read.ts';
import type { PoolSeries } from '../src/prices/types.ts';
import { buildMarket, type Market } from '../src/replay/market.ts';
import { oracle } from '../src/replay/oracle.ts';
import { runReplay } from '../src/replay/run.ts';
import { simulate } from '../src/replay/simulate.ts';
import { WINDOWS } from './windows.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DATA = resolve(ROOT, '../shared/spotdata');
const P = { overlapSeconds: 300, bootSeconds: 120 };
const sec = (iso: string) => Date.parse(iso) / 1000;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

console.log('\n# decision: replay on real spot prices');
if (process.env.TEST_DB === 'postgres') {
  console.log('(no database involved: figures printed in the PGlite pass only)');
  process.exit(0);
}
if (!existsSync(join(DATA, 'spot_use1_2016_legacy_3az.csv.gz')) || !existsSync(join(DATA, 'ondemand.csv'))) {
  console.log(`(spot traces not found in ${DATA}: decision benchmark skipped)`);
  process.exit(0);
}

const onDemand = await readOnDemand(join(DATA, 'ondemand.csv'));
const cache = new Map<string, Map<string, PoolSeries>>();
async function series(file: string): Promise<Map<string, PoolSeries>> {
  if (!cache.has(file)) cache.set(file, await readSpotPrices([join(DATA, file)]));
  return cache.get(file)!;
}

// --- reading and throughput on the whole 2016 trace ---
let t = performance.now();
const all2016 = await series('spot_use1_2016_legacy_3az.csv.gz');
const rows = [...all2016.values()].reduce((n, s) => n + s.times.length, 0);
console.log(`read 2016 trace: ${fmt(rows)} rows, ${all2016.size} pools in ${fmt(performance.now() - t)} ms`);

const byType = new Map<string, PoolSeries[]>();
for (const s of all2016.values()) byType.set(s.instanceType, [...(byType.get(s.instanceType) ?? []), s]);
const markets: Market[] = [];
t = performance.now();
for (const list of byType.values()) {
  const from = Math.min(...list.map((s) => s.times[0]!));
  const to = Math.max(...list.map((s) => s.times[s.times.length - 1]!)) + 1;
  markets.push(buildMarket({ series: list, onDemand, from, to }));
}
const buildMs = performance.now() - t;
const points = markets.reduce((n, m) => n + m.times.length, 0);
console.log(
  `grids for all ${byType.size} types over the whole trace: ${fmt(points)} decision points in ${fmt(buildMs)} ms`,
);
for (const [label, run] of [
  ['oracle', (m: Market) => oracle(m, P)],
  ['rules', (m: Market) => simulate(m, createRules(), P)],
  ['cheapest_now', (m: Market) => simulate(m, createPolicy('cheapest_now'), P)],
  ['all four (replay)', (m: Market) => runReplay(m, P)],
] as const) {
  t = performance.now();
  for (const m of markets) run(m);
  const ms = performance.now() - t;
  console.log(
    `  ${label.padEnd(18)} ${fmt(points / (ms / 1000)).padStart(12)} decision points/s (${fmt(ms)} ms)`,
  );
}

// --- decision latency of rules, per call ---
{
  const m = markets.find((x) => x.options[0]!.instanceType === 'm4.10xlarge')!;
  const inner = createRules();
  const samples: number[] = [];
  const timed: Policy<unknown> = {
    name: 'rules',
    init: (ctx) => inner.init(ctx),
    decide(ctx, point, state) {
      const start = process.hrtime.bigint();
      const d = inner.decide(ctx, point, state as never);
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
      return d;
    },
  };
  simulate(m, timed, P); // warm-up
  samples.length = 0;
  simulate(m, timed, P);
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  console.log(
    `rules decision latency (${fmt(samples.length)} calls, ${m.options.length} options): p50 ${q(0.5).toFixed(1)} µs, p99 ${q(0.99).toFixed(1)} µs, max ${q(1).toFixed(0)} µs`,
  );
}

// --- regret per window ---
console.log(
  `\nwindows (overlap ${P.overlapSeconds} s, boot ${P.bootSeconds} s); goal for rules: regret ≤ 2%, interruptions ≤ cheapest_now's, switches ≤ ⅓ of cheapest_now's`,
);
const head = ['policy', 'cost USD', 'regret', 'captured', 'switches', 'interr.'];
let passed = 0;
let passedHeldOut = 0;
for (const w of WINDOWS) {
  const file = join(DATA, w.file);
  if (!existsSync(file)) {
    console.log(`\n${w.name}: ${w.file} not found, skipped`);
    continue;
  }
  const picked = [...(await series(w.file)).values()].filter((s) => w.types.includes(s.instanceType));
  const m = buildMarket({ series: picked, onDemand, from: sec(w.from), to: sec(w.to) });
  const r = runReplay(m, P).result;
  console.log(
    `\n${w.heldOut ? '[held out] ' : ''}${w.name}  ${w.from.slice(0, 10)} → ${w.to.slice(0, 10)}  ${m.pools.length} pools, ${fmt(m.times.length)} decision points`,
  );
  console.log(`  ${head.map((h, i) => (i === 0 ? h.padEnd(13) : h.padStart(9))).join(' ')}`);
  for (const p of r.policies) {
    const cells = [
      p.cost_usd.toFixed(2),
      `${p.regret_pct?.toFixed(2)}%`,
      `${p.captured_oracle_pct?.toFixed(2)}%`,
      String(p.switches),
      String(p.interruptions),
    ];
    console.log(`  ${p.name.padEnd(13)} ${cells.map((c) => c.padStart(9)).join(' ')}`);
  }
  const rules = r.policies.find((p) => p.name === 'rules')!;
  const cn = r.policies.find((p) => p.name === 'cheapest_now')!;
  const goals = [
    [`regret ${rules.regret_pct?.toFixed(2)}% ≤ 2%`, (rules.regret_pct ?? 0) <= 2],
    [`interruptions ${rules.interruptions} ≤ ${cn.interruptions}`, rules.interruptions <= cn.interruptions],
    [`switches ${rules.switches} ≤ ${cn.switches}/3`, rules.switches * 3 <= cn.switches],
  ] as const;
  const ok = goals.every(([, g]) => g);
  if (ok && w.heldOut) passedHeldOut++;
  else if (ok) passed++;
  console.log(
    `  goal: ${goals.map(([text, g]) => `${g ? 'PASS' : 'FAIL'} ${text}`).join(' · ')}  → ${ok ? 'PASS' : 'FAIL'}`,
  );
}
const heldOut = WINDOWS.filter((w) => w.heldOut).length;
console.log(
  `\nrules meets the goal on ${passed} of ${WINDOWS.length - heldOut} tuning windows and ${passedHeldOut} of ${heldOut} held-out windows`,
);
process.exit(0);
