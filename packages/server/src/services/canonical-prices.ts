import type { Executor } from '../db/executor.ts';
import { volatility } from '../domain/decision-engine.ts';
import type { Metrics } from '../http/metrics.ts';
import {
  interruptionsByPool,
  ondemandPricesFor,
  type PoolRef,
  pricePointsSince,
  pricesInForceAt,
} from '../repositories/canonical-prices.ts';
import type { PriceCatalogue } from './price-catalogue.ts';

/** Interruptions our fleet saw in a pool count this far back. */
const INTERRUPTION_WINDOW_MS = 30 * 24 * 3_600_000;
/** At most this many price changes per pool in a feature set (the decision contract's own cap). */
const MAX_HISTORY = 200;
/** Bounded memory: the oldest entries go first beyond this many pools. */
const MAX_ENTRIES = 50_000;

/** What decisions read about a pool: the canonical tier of the pricing pipeline. */
export interface CanonicalPoolFeatures extends PoolRef {
  region: string | null;
  /** Latest reported spot price; null when none was ever reported. */
  spot_price: number | null;
  /** On-demand list price; null when it is not known (shown as unknown, never assumed). */
  ondemand_price: number | null;
  /** Price changes in the window (with the price in force at its start), oldest first. */
  history: Array<{ at: Date; price: number }>;
  /** Coefficient of variation of `history`; null below 2 points. */
  volatility: number | null;
  /** When the current price was first seen (its change, or the window's start when it did not change in it). */
  last_change_at: Date | null;
  /** Seconds (cloud time) from `last_change_at` to the query's now; a lower bound when it did not change in the window. */
  seconds_since_change: number | null;
  /** Termination notices our fleet received in the pool in the last 30 days, and the latest. */
  interruptions_seen: number;
  last_interruption_at: Date | null;
  /** Spot Advisor interruption bucket of the type in the region (0 = <5 % … 4 = >20 %), a prior; null when unknown. */
  advisor_bucket: number | null;
}

export interface FeatureQuery {
  clientId: string;
  /** The workload's region; a pool's own region is read from its zone otherwise. */
  region: string | null;
  pools: PoolRef[];
  now: Date;
  /** How far back `history` goes (server time). */
  windowMs: number;
  /** Server time runs this many times faster than the cloud's (durations are reported in cloud seconds). */
  timeScale: number;
}

export const regionOf = (az: string, region: string | null) => region ?? az.replace(/[a-z]$/, '');

/** Reads features for any number of pools in four queries (uncached). */
export async function readCanonical(
  db: Executor,
  q: FeatureQuery,
  catalogue: PriceCatalogue | null = null,
): Promise<CanonicalPoolFeatures[]> {
  const since = new Date(q.now.getTime() - q.windowMs);
  const key = (p: PoolRef) => `${p.instance_type}|${p.availability_zone}`;
  const points = new Map<string, Array<{ at: Date; price: number }>>();
  for (const r of await pricesInForceAt(db, q.clientId, q.pools, since)) {
    points.set(key(r), [{ at: new Date(r.observed_at), price: Number(r.spot_price) }]);
  }
  for (const r of await pricePointsSince(db, q.clientId, q.pools, since)) {
    const list = points.get(key(r)) ?? [];
    list.push({ at: new Date(r.observed_at), price: Number(r.spot_price) });
    points.set(key(r), list);
  }
  const regions = [...new Set(q.pools.map((p) => regionOf(p.availability_zone, q.region)))];
  const od = new Map(
    (await ondemandPricesFor(db, regions, [...new Set(q.pools.map((p) => p.instance_type))])).map((r) => [
      `${r.region}|${r.instance_type}`,
      Number(r.price),
    ]),
  );
  const seen = new Map(
    (
      await interruptionsByPool(db, q.clientId, q.pools, new Date(q.now.getTime() - INTERRUPTION_WINDOW_MS))
    ).map((r) => [key(r), { n: Number(r.n), last: new Date(r.last_at) }]),
  );
  return q.pools.map((pool) => {
    const region = regionOf(pool.availability_zone, q.region);
    const history = changesOnly(points.get(key(pool)) ?? []).slice(-MAX_HISTORY);
    const last = history[history.length - 1];
    const interrupts = seen.get(key(pool));
    return {
      instance_type: pool.instance_type,
      availability_zone: pool.availability_zone,
      region,
      spot_price: last?.price ?? null,
      ondemand_price: od.get(`${region}|${pool.instance_type}`) ?? null,
      history,
      volatility: volatility(history.map((p) => p.price)),
      last_change_at: last?.at ?? null,
      seconds_since_change: secondsSince(last?.at ?? null, q),
      interruptions_seen: interrupts?.n ?? 0,
      last_interruption_at: interrupts?.last ?? null,
      advisor_bucket: catalogue?.advisorBucket(region, pool.instance_type) ?? null,
    };
  });
}

/** Cloud seconds from `at` to the query's now (server time × time scale). */
function secondsSince(at: Date | null, q: Pick<FeatureQuery, 'now' | 'timeScale'>): number | null {
  return at ? Math.max(0, Math.round(((q.now.getTime() - at.getTime()) * q.timeScale) / 1000)) : null;
}

/** The same price reported again (or by another agent) is no new point of a step function. */
function changesOnly(points: Array<{ at: Date; price: number }>) {
  const out: Array<{ at: Date; price: number }> = [];
  for (const p of points) if (out[out.length - 1]?.price !== p.price) out.push(p);
  return out;
}

type CacheMetrics = Pick<Metrics, 'canonicalCacheHits' | 'canonicalCacheMisses'>;

/**
 * The canonical tier behind a small TTL cache, per pool and window. A report that writes a
 * pool's staging rows clears that pool's entries at once (this process; another replica's
 * entries age out within the TTL). Only the pools not cached are read, in one batch.
 */
export class CanonicalPrices {
  /** Pool (tenant|type|zone) → (region|window|scale) → entry: a report clears one pool in O(1). */
  private readonly cache = new Map<
    string,
    Map<string, { features: CanonicalPoolFeatures; expires: number }>
  >();

  constructor(
    private readonly ttlMs: number,
    private readonly catalogue: PriceCatalogue | null,
    private readonly metrics?: CacheMetrics,
    /** Real time for expiry: cache lifetimes are not cloud durations. */
    private readonly clock: () => number = Date.now,
  ) {}

  async features(db: Executor, q: FeatureQuery): Promise<CanonicalPoolFeatures[]> {
    const now = this.clock();
    const variant = `${q.region ?? ''}|${q.windowMs}|${q.timeScale}`;
    const found = new Map<string, CanonicalPoolFeatures>();
    const missing: PoolRef[] = [];
    for (const p of q.pools) {
      const hit = this.cache.get(poolKey(q.clientId, p))?.get(variant);
      // Cached features are as of their read; the time since the last change is as of this one.
      if (hit && hit.expires > now) {
        found.set(poolKey(q.clientId, p), {
          ...hit.features,
          seconds_since_change: secondsSince(hit.features.last_change_at, q),
        });
      } else missing.push(p);
    }
    this.metrics?.canonicalCacheHits.inc(q.pools.length - missing.length);
    this.metrics?.canonicalCacheMisses.inc(missing.length);
    if (missing.length > 0) {
      for (const f of await readCanonical(db, { ...q, pools: missing }, this.catalogue)) {
        const k = poolKey(q.clientId, f);
        found.set(k, f);
        const variants = this.cache.get(k) ?? new Map();
        // Re-inserted at the end: the Map's order is the eviction order (oldest first).
        this.cache.delete(k);
        this.cache.set(k, variants.set(variant, { features: f, expires: now + this.ttlMs }));
      }
      while (this.cache.size > MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    }
    return q.pools.map((p) => found.get(poolKey(q.clientId, p))!);
  }

  /** A report changed these pools' staging rows: their cached features are stale. */
  invalidate(clientId: string, pools: PoolRef[]): void {
    for (const p of pools) this.cache.delete(poolKey(clientId, p));
  }
}

const poolKey = (clientId: string, p: PoolRef) => `${clientId}|${p.instance_type}|${p.availability_zone}`;
