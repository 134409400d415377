// The human-readable form of a replay result (the CLI's default output).
import type { ReplayResult } from './report.ts';

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  return cells
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n');
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)}%`);

export function formatTable(r: ReplayResult): string {
  const head = [
    'policy',
    'cost USD',
    'vs on-demand',
    'captured',
    'regret',
    'switches',
    'interruptions',
    'downtime s',
  ];
  const rows = r.policies.map((p) => [
    p.name,
    p.cost_usd.toFixed(2),
    pct(p.savings_vs_ondemand_pct),
    pct(p.captured_oracle_pct),
    pct(p.regret_pct),
    String(p.switches),
    String(p.interruptions),
    String(p.downtime_seconds),
  ]);
  return [
    `window   ${r.window.from} → ${r.window.to}`,
    `pools    ${r.pools.join(', ')}`,
    `on-demand cost  ${r.ondemand_cost_usd.toFixed(2)} USD (cheapest candidate type, whole window)`,
    '',
    pad([head, ...rows]),
  ].join('\n');
}
