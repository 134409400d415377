// The spot-cloud-sim command as a real process.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeSpotPriceHistoryCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli-args.ts';
import { ec2, until } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/spot-cloud-sim.js', import.meta.url));
// The real traces live next to the repository, at `../shared/spotdata` from its root (they are never
// copied into it), so the path is resolved from this file: test/ → packages/cloud-sim → packages → root.
const REAL_TRACE = fileURLToPath(
  new URL('../../../../shared/spotdata/spot_use1_2023_c5a2xlarge_5az.csv', import.meta.url),
);
const HAVE_TRACE = existsSync(REAL_TRACE);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP_REASON = `${relative(REPO_ROOT, REAL_TRACE)} (relative to the repository root) is absent`;
if (!HAVE_TRACE) console.warn(`cloud-sim cli test: skipping the real-trace test: ${SKIP_REASON}`);
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /^spot-cloud-sim listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  // Tests of bad flags never await `ready`; its rejection must not surface as an unhandled one
  // (a test that awaits it still sees the error).
  ready.catch(() => {});
  return { child, exited, ready, output: () => ({ out, err }) };
}

describe('spot-cloud-sim CLI', () => {
  it('prints the ready line first, serves, and exits 0 on SIGTERM', async () => {
    const p = run(['--port', '0', '--speed', '10', '--seed', '3']);
    const url = await p.ready;
    expect(p.output().out.split('\n')[0]).toBe(`spot-cloud-sim listening on ${url}`);
    const clock = (await (await fetch(`${url}/_sim/clock`)).json()) as { speed: number };
    expect(clock.speed).toBe(10);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const lines = p.output().out.trim().split('\n').slice(1);
    expect(lines.map((l) => JSON.parse(l).msg)).toContain('shutting down');
  });

  it('POSTs EventBridge envelopes to --eventbridge-url with the --eventbridge-header headers', async () => {
    const got: { key: string | undefined; type: string; state: string }[] = [];
    const rx = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const body = JSON.parse(text);
        got.push({
          key: req.headers['x-api-key'] as string,
          type: body['detail-type'],
          state: body.detail.state,
        });
        res.end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    try {
      const target = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/`;
      const p = run(['--eventbridge-url', target, '--eventbridge-header', 'X-Api-Key: s3cret']);
      const url = await p.ready;
      await fetch(`${url}/_sim/instances`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instance_type: 't3.medium', availability_zone: 'us-east-1f', running: true }),
      });
      // delivery is asynchronous (a real process): wait for the receiver, not for a fixed time
      await until(async () => (got.length > 0 ? true : undefined));
      expect(got[0]).toEqual({
        key: 's3cret',
        type: 'EC2 Instance State-change Notification',
        state: 'running',
      });
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      rx.closeAllConnections();
      await new Promise((r) => rx.close(r));
    }
  });

  it('exits 2 with a clear message on bad flags', async () => {
    const cases = [
      ['--speed', '0'],
      ['--port', '70000'],
      ['--seed', '1.5'],
      ['--bogus'],
      ['--prices', '/nonexistent.csv'],
      ['--eventbridge-url', 'not a url'],
    ];
    const runs = cases.map((args) => ({ args, p: run(args) }));
    for (const { args, p } of runs) {
      expect(await p.exited, args.join(' ')).toBe(2);
      expect(p.output().err).toMatch(/^spot-cloud-sim: /);
    }
  });

  it.runIf(HAVE_TRACE)(
    `loads a real spotdata trace by path${HAVE_TRACE ? '' : ` — SKIPPED: ${SKIP_REASON}`}`,
    async () => {
      const p = run(['--port', '0', '--prices', REAL_TRACE]);
      const url = await p.ready;
      const history = async () =>
        (await ec2(url).send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['c5a.2xlarge'] })))
          .SpotPriceHistory!;
      const rows = await history();
      const zones = new Set(rows.map((r) => r.AvailabilityZone));
      // the trace's five zones, and us-east-1a (not in the trace) with a synthetic price
      expect(zones).toEqual(
        new Set(['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f']),
      );
      // the first row of the file (us-east-1b, 0.161900) is the price in force at the start
      expect(rows.find((r) => r.AvailabilityZone === 'us-east-1b')!.SpotPrice).toBe('0.161900');
      const pools = (await (await fetch(`${url}/_sim/pools?instance_type=c5a.2xlarge`)).json()) as {
        pools: { availability_zone: string; price_source: string }[];
      };
      expect(Object.fromEntries(pools.pools.map((x) => [x.availability_zone, x.price_source]))).toEqual({
        'us-east-1a': 'synthetic',
        'us-east-1b': 'trace',
        'us-east-1c': 'trace',
        'us-east-1d': 'trace',
        'us-east-1e': 'trace',
        'us-east-1f': 'trace',
      });
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    },
  );
});

describe('parseCli', () => {
  it('maps flags to options and refuses bad values', () => {
    const ok = parseCli([
      '--port',
      '8080',
      '--speed',
      '60',
      '--prices',
      'a.csv',
      '--prices',
      'b.csv',
      '--hazard-per-hour',
      '0.5',
    ]);
    expect(ok).toMatchObject({
      ok: true,
      options: { port: 8080, speed: 60, priceFiles: ['a.csv', 'b.csv'], hazardPerHour: 0.5 },
    });
    expect(ok).toMatchObject({ options: { syntheticPrices: true } });
    expect(parseCli(['--no-synthetic-prices'])).toMatchObject({
      ok: true,
      options: { syntheticPrices: false },
    });
    expect(parseCli(['--help'])).toMatchObject({ ok: false, help: true });
    expect(parseCli(['--speed', 'fast'])).toMatchObject({
      ok: false,
      message: "--speed must be a number > 0 and <= 100000, got 'fast'",
    });
    expect(parseCli(['--region', 'mars'])).toMatchObject({ ok: false });
    expect(parseCli(['--start-time', 'yesterday'])).toMatchObject({ ok: false });
    expect(parseCli(['extra'])).toMatchObject({ ok: false, message: "unexpected argument 'extra'" });
  });
});
