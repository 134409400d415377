// DescribeSpotPriceHistory: newest first, paginated. The end of the window is pinned in the token so
// that prices appearing while a client pages (the clock keeps moving) cannot shift the pages.
// StartTime/EndTime and the printed timestamps are wall-clock times (see core/clock.ts): at speed 60
// the last real hour holds 60 simulated hours of price steps, and no timestamp is after the real now.

import { type SimClock, wallIsoMillis } from '../../core/clock.ts';
import { Ec2Error } from '../../core/ec2-error.ts';
import type { PriceRecord } from '../../core/prices.ts';
import {
  decodeToken,
  dryRun,
  encodeToken,
  filters,
  int,
  list,
  str,
  time,
  wildcardMatch,
} from '../query-params.ts';
import type { XmlObject } from '../xml.ts';
import type { ActionHandler } from './context.ts';

const DAY_MS = 86_400_000;

const FILTER_FIELDS: Record<string, (r: PriceRecord, clock: SimClock) => string> = {
  'availability-zone': (r) => r.az,
  'instance-type': (r) => r.instanceType,
  'product-description': (r) => r.productDescription,
  'spot-price': (r) => r.price.toFixed(6),
  // matched against the timestamp as printed, i.e. wall-clock time
  timestamp: (r, clock) => wallIsoMillis(clock, r.at),
};

/** Filters that depend only on the pool: applied before any record is made (there are ~500 pools). */
const POOL_FIELDS = new Set(['availability-zone', 'instance-type', 'product-description']);

export const describeSpotPriceHistory: ActionHandler = ({ sim, params }) => {
  const clock = sim.clock;
  const now = sim.now();
  const instanceTypes = list(params, 'InstanceType');
  const products = list(params, 'ProductDescription');
  const az = str(params, 'AvailabilityZone');
  // Wall-clock times in, simulated times for the price book.
  const startWall = time(params, 'StartTime');
  const endWall = time(params, 'EndTime');
  const maxResults = int(params, 'MaxResults', 1, 1000) ?? 1000;
  const token = str(params, 'NextToken');
  const compiled = filters(params).map((f) => {
    const get = FILTER_FIELDS[f.name];
    if (!get) throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    return { name: f.name, get, values: f.values };
  });
  const poolFilters = compiled.filter((f) => POOL_FIELDS.has(f.name));
  const recordFilters = compiled.filter((f) => !POOL_FIELDS.has(f.name));
  if (startWall !== undefined && endWall !== undefined && startWall > endWall) {
    throw new Ec2Error('InvalidParameterValue', 'The StartTime must be before the EndTime.');
  }
  dryRun(params);
  const cursor = token !== undefined ? decodeToken(token, 'sph') : { o: 0, e: undefined };
  // The future of a trace is not history yet: never past the simulated now (= the wall-clock now).
  const end = cursor.e ?? Math.min(endWall !== undefined ? clock.fromWall(endWall) : now, now);
  const records = sim.catalog.priceBook
    .history({
      instanceTypes: instanceTypes.length > 0 ? instanceTypes : undefined,
      productDescriptions: products.length > 0 ? products : undefined,
      azs: az ? [az] : undefined,
      pool: (p) =>
        poolFilters.every(({ get, values }) => {
          const v = get({ ...p, price: 0, at: 0 }, clock);
          return values.some((pattern) => wildcardMatch(pattern, v));
        }),
      // EC2's default window is 90 days back, taken here in simulated time (the whole trace, in practice)
      start: startWall !== undefined ? clock.fromWall(startWall) : end - 90 * DAY_MS,
      end,
    })
    .filter((r) =>
      recordFilters.every(({ get, values }) => values.some((v) => wildcardMatch(v, get(r, clock)))),
    );
  const offset = cursor.o ?? 0;
  const page = records.slice(offset, offset + maxResults);
  const more = offset + page.length < records.length;
  const body: XmlObject = {
    spotPriceHistorySet: page.map((r) => ({
      instanceType: r.instanceType,
      productDescription: r.productDescription,
      spotPrice: r.price.toFixed(6),
      timestamp: wallIsoMillis(clock, r.at),
      availabilityZone: r.az,
    })),
    // EC2 writes an empty <nextToken/> on the last page.
    nextToken: more ? encodeToken({ k: 'sph', o: offset + page.length, e: end }) : null,
  };
  return body;
};
