/** One spot pool's price history: a step function, each price holding until the next time. */
export interface PoolSeries {
  /** `instance_type@az`, the id replay and the CLI use. */
  readonly key: string;
  readonly region: string;
  readonly az: string;
  readonly instanceType: string;
  readonly product: string;
  /** Epoch seconds, strictly increasing. */
  readonly times: readonly number[];
  /** USD per hour; `prices[i]` holds on `[times[i], times[i+1])`. */
  readonly prices: readonly number[];
}

/** On-demand list prices keyed by `region/instance_type`. */
export type OnDemandTable = ReadonlyMap<string, number>;

export function poolKey(instanceType: string, az: string): string {
  return `${instanceType}@${az}`;
}

export function onDemandKey(region: string, instanceType: string): string {
  return `${region}/${instanceType}`;
}

/** A bad input row or file; the message names the file and line so the data can be fixed. */
export class PriceDataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'PriceDataError';
  }
}
