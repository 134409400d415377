// The evaluation windows the benchmark reports, on the real traces in ../shared/spotdata.
// Every window is printed, pass or fail. The first twelve were used to tune rules' defaults
// (in-sample); the `heldOut` ones were added after tuning and never used to choose a parameter.
export interface Window {
  readonly name: string;
  /** Not used while tuning rules' defaults: an out-of-sample check. */
  readonly heldOut?: boolean;
  readonly file: string;
  readonly types: readonly string[];
  readonly from: string;
  readonly to: string;
}

const Y2016 = 'spot_use1_2016_legacy_3az.csv.gz';
const spring2016 = (type: string): Window => ({
  name: `2016 ${type} (us-east-1 a/b/c)`,
  file: Y2016,
  types: [type],
  from: '2016-03-01T00:00:00Z',
  to: '2016-04-15T00:00:00Z',
});

export const WINDOWS: readonly Window[] = [
  spring2016('m4.10xlarge'),
  {
    ...spring2016('m4.10xlarge'),
    name: '2016 m4.10xlarge, 2nd half of April',
    from: '2016-04-15T00:00:00Z',
    to: '2016-04-25T00:00:00Z',
  },
  spring2016('g2.8xlarge'),
  spring2016('cr1.8xlarge'),
  spring2016('d2.xlarge'),
  spring2016('d2.2xlarge'),
  spring2016('hi1.4xlarge'),
  spring2016('m3.medium'),
  spring2016('r3.large'),
  {
    name: '2023 c5a.2xlarge (us-east-1 b/c/d/e/f)',
    file: 'spot_use1_2023_c5a2xlarge_5az.csv',
    types: ['c5a.2xlarge'],
    from: '2023-11-12T00:00:00Z',
    to: '2023-12-30T00:00:00Z',
  },
  {
    name: '2020 eu-west-3a, 8 vCPU: c5.2xlarge | m5d.2xlarge',
    file: 'spot_euw3_2020_16types_1az.csv',
    types: ['c5.2xlarge', 'm5d.2xlarge'],
    from: '2020-03-01T00:00:00Z',
    to: '2020-07-31T00:00:00Z',
  },
  {
    name: '2020 eu-west-3a, 2 vCPU: t2/t3.large, m5d.large, t3a.medium',
    file: 'spot_euw3_2020_16types_1az.csv',
    types: ['t2.large', 't3.large', 'm5d.large', 't3a.medium'],
    from: '2020-03-01T00:00:00Z',
    to: '2020-07-31T00:00:00Z',
  },
  // Held out: added after the defaults were fixed.
  ...['d2.8xlarge', 'd2.4xlarge', 'c1.xlarge', 'c1.medium', 'm1.large', 'm2.xlarge'].map((t) => ({
    ...spring2016(t),
    heldOut: true,
  })),
  {
    name: '2020 eu-west-3a, 64-72 vCPU: c5.18xlarge | c5d.18xlarge | m5d.16xlarge',
    heldOut: true,
    file: 'spot_euw3_2020_16types_1az.csv',
    types: ['c5.18xlarge', 'c5d.18xlarge', 'm5d.16xlarge'],
    from: '2020-03-01T00:00:00Z',
    to: '2020-07-31T00:00:00Z',
  },
  {
    name: '2020 eu-west-3a, 96 vCPU: c5.metal | m5d.24xlarge',
    heldOut: true,
    file: 'spot_euw3_2020_16types_1az.csv',
    types: ['c5.metal', 'm5d.24xlarge'],
    from: '2020-03-01T00:00:00Z',
    to: '2020-07-31T00:00:00Z',
  },
];
