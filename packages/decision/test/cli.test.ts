// The replay command end to end: in-process through runReplayCli, and once as a real
// `npx spot-optimizer replay` process, on small traces written to a temp directory.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../src/cli.ts';
import { FEATURE_COUNT } from '../src/model/features.ts';
import { writeLogisticOnnx } from '../src/model/onnx-writer.ts';
import { ReplayResultSchema } from '../src/replay/report.ts';
import { tempDir, writeOnDemandCsv, writeSpotCsv } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

function fixture() {
  const dir = tempDir();
  const rows: [number, string, string, number][] = [];
  for (let i = 0; i < 48; i++) {
    rows.push([i * 900, 'r-1a', 'm5.large', 0.03 + (i % 4) * 0.005]);
    rows.push([i * 900 + 450, 'r-1b', 'm5.large', i === 20 ? 0.2 : 0.035 - (i % 3) * 0.004]);
  }
  rows.push([3600, 'r-1a', 'c5.large', 0.02]);
  const a = writeSpotCsv(
    dir,
    'a.csv',
    rows.filter((r) => r[1] === 'r-1a'),
  );
  const b = writeSpotCsv(
    dir,
    'b.csv.gz',
    rows.filter((r) => r[1] === 'r-1b'),
  );
  const od = writeOnDemandCsv(dir, { 'm5.large': 0.096, 'c5.large': 0.085 });
  return { dir, a, b, od };
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runReplayCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const WINDOW = ['--from', '2020-01-01T00:00:00Z', '--to', '2020-01-01T12:00:00+00:00'];

describe('replay CLI', () => {
  const f = fixture();
  const base = ['--prices', f.a, f.b, '--ondemand', f.od, ...WINDOW];

  it('prints a table of the four default policies with throughput', async () => {
    const r = await cli([...base, '--instance-type', 'm5.large']);
    expect(r.code).toBe(0);
    for (const name of ['rules', 'cheapest_now', 'static', 'oracle'])
      expect(r.out).toMatch(new RegExp(`^${name} `, 'm'));
    expect(r.out).toContain('m5.large@r-1a, m5.large@r-1b');
    expect(r.out).toMatch(/decision points\/s/);
  });

  it('prints the issue JSON with --json', async () => {
    const r = await cli([
      ...base,
      '--pools',
      'm5.large@r-1a,m5.large@r-1b',
      '--json',
      '--overlap-seconds',
      '60',
    ]);
    expect(r.code).toBe(0);
    const json = ReplayResultSchema.strict().parse(JSON.parse(r.out));
    expect(json.window).toEqual({ from: '2020-01-01T00:00:00Z', to: '2020-01-01T12:00:00Z' });
    expect(json.pools).toEqual(['m5.large@r-1a', 'm5.large@r-1b']);
    expect(json.ondemand_cost_usd).toBeCloseTo(0.096 * 12, 9);
    expect(json.policies.map((p) => p.name)).toEqual(['rules', 'cheapest_now', 'static', 'oracle']);
    const oracle = json.policies.find((p) => p.name === 'oracle')!;
    for (const p of json.policies) expect(p.cost_usd).toBeGreaterThanOrEqual(oracle.cost_usd - 1e-9);
    expect(Object.keys(json.policies[0]!).sort()).toEqual(
      [
        'captured_oracle_pct',
        'cost_usd',
        'downtime_seconds',
        'interruptions',
        'name',
        'regret_pct',
        'savings_vs_ondemand_pct',
        'switches',
      ].sort(),
    );
    // Each interruption (b's 0.2 is above its on-demand 0.096) adds the default 120 s of downtime.
    for (const p of json.policies) expect(p.downtime_seconds).toBe(p.interruptions * 120);
  });

  it('runs only the policies named, in that order, and writes an SVG plot', async () => {
    const plot = join(f.dir, 'replay.svg');
    const r = await cli([
      ...base,
      '--instance-type',
      'm5.large',
      '--policy',
      'oracle',
      'cheapest_now',
      '--json',
      '--plot',
      plot,
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).policies.map((p: { name: string }) => p.name)).toEqual([
      'oracle',
      'cheapest_now',
    ]);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('m5.large@r-1b');
    expect(svg).toContain('>cheapest_now</text>');
    expect(r.err).toContain(`wrote ${plot}`);
  });

  it('accepts several instance types as candidates', async () => {
    const r = await cli([...base, '--instance-type', 'm5.large,c5.large', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.pools).toEqual(['c5.large@r-1a', 'm5.large@r-1a', 'm5.large@r-1b']);
    expect(json.ondemand_cost_usd).toBeCloseTo(0.085 * 12, 9);
  });

  it.each([
    [['--instance-type', 'm5.large', '--model', 'missing.onnx'], 'missing.onnx: ENOENT'],
    [['--instance-type', 'm5.large', '--bogus'], 'unknown option --bogus'],
    [['--instance-type', 'm5.large', '--policy', 'magic'], 'unknown policy "magic"'],
    [
      ['--instance-type', 'm5.large', '--pools', 'm5.large@r-1a'],
      'exactly one of --pools and --instance-type',
    ],
    [[], 'exactly one of --pools and --instance-type'],
    [['--pools', 'm5.large'], '--pools "m5.large" is not TYPE@AZ'],
    [['--pools', 'm5.large@r-1z'], 'pool m5.large@r-1z has no rows'],
    [['--instance-type', 'x1.huge'], 'instance type x1.huge has no rows'],
    [
      ['--instance-type', 'm5.large', '--overlap-seconds', '-5'],
      '--overlap-seconds "-5" is not a non-negative number',
    ],
    [['--instance-type', 'm5.large', '--json=yes'], '--json takes no value'],
    [['--instance-type', 'm5.large', '--from', '2020-01-01'], '--from given twice'],
    [
      ['--instance-type', 'm5.large', '--boot-seconds', 'abc'],
      '--boot-seconds "abc" is not a non-negative number',
    ],
  ])('exits 2 with a clear message for %j', async (extra, message) => {
    const r = await cli([...base, ...extra]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  it('exits 2 on a bad window or missing inputs', async () => {
    const t = ['--instance-type', 'm5.large'];
    expect(
      (
        await cli([
          '--prices',
          f.a,
          '--ondemand',
          f.od,
          ...t,
          '--from',
          '2020-01-01T00:00:00',
          '--to',
          '2020-01-02',
        ])
      ).err,
    ).toContain('is not an ISO time with a zone');
    expect(
      (await cli(['--prices', f.a, '--ondemand', f.od, ...t, '--from', '2020-01-02', '--to', '2020-01-01']))
        .err,
    ).toContain('--to must be after --from');
    expect((await cli(['--ondemand', f.od, ...t, ...WINDOW])).err).toContain('--prices is required');
    const missing = await cli(['--prices', join(f.dir, 'nope.csv'), '--ondemand', f.od, ...t, ...WINDOW]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.csv');
  });

  it('names file and line of a bad price row', async () => {
    const bad = join(f.dir, 'bad.csv');
    writeFileSync(
      bad,
      'timestamp_iso,region,az,instance_type,product_description,spot_price_usd\n2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,x\n',
    );
    const r = await cli(['--prices', bad, '--ondemand', f.od, '--instance-type', 'm5.large', ...WINDOW]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}:2: bad spot price "x"`);
  });

  it('runs as `npx spot-optimizer replay` and exits 2 on a bad flag', () => {
    const ok = spawnSync(
      'npx',
      ['spot-optimizer', 'replay', ...base, '--instance-type', 'm5.large', '--json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    // npm itself may warn (npm 11 does not know the root .npmrc's onnxruntime-node-install key); the command prints nothing.
    const ownStderr = ok.stderr
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('npm warn'))
      .join('\n');
    expect(ownStderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ReplayResultSchema.parse(JSON.parse(ok.stdout)).policies).toHaveLength(4);
    const bad = spawnSync('npx', ['spot-optimizer', 'replay', '--from'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--from needs a value');
  });
});

describe('replay CLI --model', () => {
  it('runs an ONNX model as the policy `model`, reported like the others', async () => {
    const f = fixture();
    // A model that always answers 0.99 (bias only): it moves whenever a pool is cheaper by the margin.
    const file = join(f.dir, 'always.onnx');
    writeFileSync(file, writeLogisticOnnx({ weights: new Array(FEATURE_COUNT).fill(0), bias: 5 }));
    const r = await cli([
      '--prices',
      f.a,
      f.b,
      '--ondemand',
      f.od,
      ...WINDOW,
      '--instance-type',
      'm5.large',
      '--policy',
      'cheapest_now',
      '--model',
      file,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const json = ReplayResultSchema.strict().parse(JSON.parse(r.out));
    expect(json.policies.map((p) => p.name)).toEqual(['cheapest_now', 'model']);
    const model = json.policies[1]!;
    expect(model.switches).toBeGreaterThan(0);
    expect(model.cost_usd).toBeGreaterThanOrEqual(json.policies[0]!.cost_usd * 0.5);
  });

  it('exits 2 for a file that is not an ONNX model', async () => {
    const f = fixture();
    const file = join(f.dir, 'junk.onnx');
    writeFileSync(file, 'not a model');
    const r = await cli([
      '--prices',
      f.a,
      '--ondemand',
      f.od,
      ...WINDOW,
      '--instance-type',
      'm5.large',
      '--model',
      file,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a loadable ONNX model');
  });
});
