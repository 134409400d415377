// The replay's outputs besides the numbers: the simulator's guard on policies, the table and
// the SVG plot.
import { describe, expect, it } from 'vitest';
import type { Policy } from '../src/policy/types.ts';
import { buildMarket, MarketError } from '../src/replay/market.ts';
import { plotSvg } from '../src/replay/plot.ts';
import { runReplay } from '../src/replay/run.ts';
import { simulate } from '../src/replay/simulate.ts';
import { formatTable } from '../src/replay/table.ts';
import { HOUR, market, pool, T0 } from './helpers.ts';

const P = { overlapSeconds: 300, bootSeconds: 120 };
const m = market(
  [
    pool('m', 'r-1a', [
      [0, 0.2],
      [HOUR, 2],
      [2 * HOUR, 0.2],
    ]),
    pool('m', 'r-1b', [[1800, 0.4]]),
  ],
  { m: 1 },
  3,
);

describe('replay outputs', () => {
  it('refuses a policy that picks an unavailable option', () => {
    const bad: Policy<null> = { name: 'bad', init: () => null, decide: () => ({ choice: 1, state: null }) };
    expect(() => simulate(m, bad, P)).toThrow(
      /policy bad chose m@r-1b, not available at 2020-01-01T00:00:00/,
    );
  });

  it('refuses an unknown policy name', () => {
    expect(() => runReplay(m, { ...P, policies: ['magic'] })).toThrow('unknown policy "magic"');
  });

  it('refuses one instance type in two regions', () => {
    const other = { ...pool('m', 'r-2a', [[0, 0.1]]), region: 'r-2' };
    const onDemand = new Map([
      ['r-1/m', 1],
      ['r-2/m', 1],
    ]);
    expect(() =>
      buildMarket({ series: [pool('m', 'r-1a', [[0, 0.1]]), other], onDemand, from: T0, to: T0 + HOUR }),
    ).toThrow(MarketError);
  });

  it('prints a table with one row per policy', () => {
    const text = formatTable(runReplay(m, P).result);
    expect(text).toContain('window   2020-01-01T00:00:00Z → 2020-01-01T03:00:00Z');
    expect(text.split('\n').filter((l) => /^(rules|cheapest_now|static|oracle) /.test(l))).toHaveLength(4);
  });

  it('plots each pool and one band per policy, the axis at twice the median spot price', () => {
    const run = runReplay(m, P);
    const svg = plotSvg(m, run.paths);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    // Spot prices 0.2 ×3, 0.4 ×3, 2: the median 0.4 puts the top at 0.8, so the spike to 2 and
    // the on-demand level (1.0) are off the chart and the title says where it is clipped.
    expect(svg).toContain('clipped at 0.800');
    expect(svg).not.toContain('stroke-dasharray');
    for (const name of ['rules', 'cheapest_now', 'static', 'oracle'])
      expect(svg).toContain(`>${name}</text>`);
    expect(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});
