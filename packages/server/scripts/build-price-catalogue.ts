/**
 * Builds packages/server/catalogue/price-catalogue.json from two Apache-2.0 upstreams, read from
 * local git checkouts (clones or bare mirrors) at their HEAD:
 *   - aws/karpenter-provider-aws  pkg/providers/pricing/zz_generated.pricing_aws.go
 *     (on-demand Linux list prices, USD/hour, per region)
 *   - alexei-led/spotinfo         internal/spot/data/spot-advisor-data.json
 *     (AWS Spot Instance Advisor interruption-frequency buckets, per region, Linux)
 * keeping only the common current families and sizes in the main regions. The numbers are the
 * upstreams' own; nothing is estimated here. A region the upstream does not price is left out
 * (its pools show an unknown on-demand price).
 *
 *   npx tsx packages/server/scripts/build-price-catalogue.ts \
 *     --karpenter ../karpenter-provider-aws --spotinfo ../spotinfo [--out path]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const KARPENTER = {
  repo: 'aws/karpenter-provider-aws',
  path: 'pkg/providers/pricing/zz_generated.pricing_aws.go',
};
const SPOTINFO = { repo: 'alexei-led/spotinfo', path: 'internal/spot/data/spot-advisor-data.json' };

export const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'ap-southeast-1',
  'ap-northeast-1',
];
const FAMILIES = new Set(
  (
    'm5 m5a m6i m6a m7i m7a m6g m7g c5 c5a c6i c6a c7i c7a c6g c7g r5 r5a r6i r6a r7i r7a r6g r7g ' +
    't3 t3a t4g'
  ).split(' '),
);
const SIZES = new Set(
  'nano micro small medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge'.split(' '),
);

export function wanted(type: string): boolean {
  const [family, size] = type.split('.');
  return family !== undefined && size !== undefined && FAMILIES.has(family) && SIZES.has(size);
}

/** `"region": { "type": price, ... }` blocks of Karpenter's generated Go map. */
export function parseKarpenter(go: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  let region: string | null = null;
  for (const line of go.split('\n')) {
    const open = /^\t"([a-z]{2}(?:-[a-z]+)+-\d)": \{/.exec(line);
    if (open) {
      region = open[1]!;
      out[region] = {};
      continue;
    }
    if (/^\t\},?\s*$/.test(line)) region = null;
    if (!region) continue;
    for (const m of line.matchAll(/"([a-z0-9-]+\.[a-z0-9-]+)": ([0-9.]+)/g))
      out[region]![m[1]!] = Number(m[2]);
  }
  return out;
}

type Advisor = {
  ranges: Array<{ index: number; label: string }>;
  spot_advisor: Record<string, { Linux?: Record<string, { r: number; s: number }> }>;
};

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function main() {
  const { values } = parseArgs({
    options: {
      karpenter: { type: 'string' },
      spotinfo: { type: 'string' },
      out: {
        type: 'string',
        default: new URL('../catalogue/price-catalogue.json', import.meta.url).pathname,
      },
    },
  });
  if (!values.karpenter || !values.spotinfo)
    throw new Error('--karpenter <dir> and --spotinfo <dir> are required');
  const kCommit = git(values.karpenter, 'rev-parse', 'HEAD').trim();
  const sCommit = git(values.spotinfo, 'rev-parse', 'HEAD').trim();
  const go = git(values.karpenter, 'show', `HEAD:${KARPENTER.path}`);
  const generatedAt =
    /generated at (\S+)/.exec(go)?.[1] ?? git(values.karpenter, 'log', '-1', '--format=%cI').trim();
  const advisor = JSON.parse(git(values.spotinfo, 'show', `HEAD:${SPOTINFO.path}`)) as Advisor;
  const advisorDate = git(values.spotinfo, 'log', '-1', '--format=%cI', '--', SPOTINFO.path).trim();

  const allOnDemand = parseKarpenter(go);
  const ondemand: Record<string, Record<string, number>> = {};
  const advisorBuckets: Record<string, Record<string, number>> = {};
  for (const region of REGIONS) {
    const prices = allOnDemand[region];
    if (prices) {
      ondemand[region] = Object.fromEntries(
        Object.entries(prices)
          .filter(([t, p]) => wanted(t) && p > 0)
          .sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    const linux = advisor.spot_advisor[region]?.Linux;
    if (linux) {
      advisorBuckets[region] = Object.fromEntries(
        Object.entries(linux)
          .filter(([t]) => wanted(t))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([t, v]) => [t, v.r]),
      );
    }
  }
  const catalogue = {
    licence:
      'Apache-2.0 (data extracted from the upstream repositories named in source; see catalogue/NOTICE)',
    generated_by: 'packages/server/scripts/build-price-catalogue.ts',
    ondemand_source: {
      ...KARPENTER,
      commit: kCommit,
      as_of: generatedAt,
      unit: 'USD per hour, Linux, on-demand',
    },
    advisor_source: { ...SPOTINFO, commit: sCommit, as_of: advisorDate, os: 'Linux' },
    regions: REGIONS,
    regions_without_ondemand: REGIONS.filter((r) => !ondemand[r]),
    advisor_ranges: advisor.ranges.map((r) => ({ bucket: r.index, label: r.label })),
    ondemand,
    advisor: advisorBuckets,
  };
  writeFileSync(values.out, `${JSON.stringify(catalogue, null, 2)}\n`);
  const n = (o: Record<string, Record<string, number>>) =>
    Object.values(o).reduce((s, r) => s + Object.keys(r).length, 0);
  console.log(`wrote ${values.out}: ${n(ondemand)} on-demand prices, ${n(advisorBuckets)} advisor buckets`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
