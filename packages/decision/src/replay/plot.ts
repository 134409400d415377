// A self-contained SVG of a replay: each option's price over time (step lines, clipped a
// little above on-demand so a 10× spike does not flatten the rest), dashed on-demand levels,
// and one band per policy coloured by the option it held. Pure: returns the SVG text.
import type { Market } from './market.ts';
import { isoSeconds } from './report.ts';

const COLOURS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
const W = 1200;
const LEFT = 150;
const RIGHT = 20;
const TOP = 30;
const CHART_H = 360;
const BAND_H = 22;
const BAND_GAP = 6;

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (x: number) => (Math.round(x * 10) / 10).toString();

/**
 * The top of the price axis: twice the median spot price, so everyday moves are visible and
 * spikes are clipped at the top; never above 1.15 × the highest on-demand price.
 */
function priceCeiling(m: Market): number {
  const maxOd = Math.max(...m.options.map((o) => o.ondemandPrice));
  const spot: number[] = [];
  m.options.forEach((o, i) => {
    if (o.kind !== 'spot') return;
    for (let k = 0; k < m.times.length; k++) {
      const p = m.prices[k * m.options.length + i]!;
      if (Number.isFinite(p)) spot.push(p);
    }
  });
  if (spot.length === 0) return maxOd * 1.15;
  spot.sort((a, b) => a - b);
  const median = spot[Math.floor(spot.length / 2)]!;
  return median > 0 ? Math.min(maxOd * 1.15, 2 * median) : maxOd * 1.15;
}

export function plotSvg(m: Market, paths: ReadonlyMap<string, ArrayLike<number>>): string {
  const O = m.options.length;
  const K = m.times.length;
  const yMax = priceCeiling(m);
  const x = (t: number) => LEFT + ((t - m.from) / (m.to - m.from)) * (W - LEFT - RIGHT);
  const y = (p: number) => TOP + CHART_H - (Math.min(p, yMax) / yMax) * CHART_H;
  const colour = (o: number) => COLOURS[o % COLOURS.length]!;
  const bandsTop = TOP + CHART_H + 40;
  const H = bandsTop + paths.size * (BAND_H + BAND_GAP) + 30 + Math.ceil(O / 4) * 18;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${LEFT}" y="18">spot replay ${esc(isoSeconds(m.from))} → ${esc(isoSeconds(m.to))}, USD/h (clipped at ${yMax.toFixed(3)})</text>`,
    `<line x1="${LEFT}" y1="${TOP + CHART_H}" x2="${W - RIGHT}" y2="${TOP + CHART_H}" stroke="#444"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + CHART_H}" stroke="#444"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const p = (yMax * i) / 4;
    out.push(`<text x="${LEFT - 6}" y="${f(y(p) + 4)}" text-anchor="end">${p.toFixed(3)}</text>`);
  }
  for (let o = 0; o < O; o++) {
    const opt = m.options[o]!;
    if (opt.kind === 'ondemand') {
      if (opt.ondemandPrice > yMax) continue; // off the chart: the title says where it is clipped
      const yy = f(y(opt.ondemandPrice));
      out.push(
        `<line x1="${LEFT}" y1="${yy}" x2="${W - RIGHT}" y2="${yy}" stroke="${colour(o)}" stroke-dasharray="6 4"/>`,
      );
      continue;
    }
    // A step line: a polyline per stretch with a price (a pool may start later than the window).
    let pts: string[] = [];
    const flush = () => {
      if (pts.length > 1)
        out.push(`<polyline fill="none" stroke="${colour(o)}" stroke-width="1" points="${pts.join(' ')}"/>`);
      pts = [];
    };
    for (let k = 0; k < K; k++) {
      const p = m.prices[k * O + o]!;
      if (Number.isNaN(p)) {
        flush();
        continue;
      }
      const prev = k > 0 ? m.prices[(k - 1) * O + o]! : Number.NaN;
      if (k > 0 && p === prev && pts.length > 0) continue;
      const xx = f(x(m.times[k]!));
      if (pts.length > 0) pts.push(`${xx},${f(y(prev))}`);
      pts.push(`${xx},${f(y(p))}`);
    }
    if (pts.length > 0) pts.push(`${f(x(m.to))},${f(y(m.prices[(K - 1) * O + o]!))}`);
    flush();
  }
  let row = 0;
  for (const [name, path] of paths) {
    const top = bandsTop + row * (BAND_H + BAND_GAP);
    out.push(`<text x="${LEFT - 6}" y="${top + BAND_H / 2 + 4}" text-anchor="end">${esc(name)}</text>`);
    for (let k = 0; k < K; ) {
      const o = path[k]!;
      let j = k + 1;
      while (j < K && path[j] === o) j++;
      const x0 = x(m.times[k]!);
      const x1 = x(j < K ? m.times[j]! : m.to);
      out.push(
        `<rect x="${f(x0)}" y="${top}" width="${f(Math.max(0.3, x1 - x0))}" height="${BAND_H}" fill="${colour(o)}"/>`,
      );
      k = j;
    }
    row++;
  }
  const legendTop = bandsTop + paths.size * (BAND_H + BAND_GAP) + 16;
  m.options.forEach((opt, o) => {
    const lx = LEFT + (o % 4) * 260;
    const ly = legendTop + Math.floor(o / 4) * 18;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${colour(o)}"/>`);
    out.push(
      `<text x="${lx + 18}" y="${ly}">${esc(opt.id)}${opt.kind === 'ondemand' ? ` (${opt.ondemandPrice})` : ''}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
