import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  heldPoolsOf,
  pageOf,
  poolKey,
  poolsChangedBy,
  renderPricePage,
  type WindowPoint,
  windowOf,
  withPoolsReplaced,
} from '../../src/domain/price-window.ts';

/**
 * A held price window answers later reads of the same window from memory. Sound only if the
 * page it gives (when it gives one) is the page a read of the table at that moment would give:
 * the rows in (pool, time) order from `since`, the first cap + 1 of them, cut as
 * services/insight-service.ts cuts them.
 */
const T0 = Date.UTC(2026, 11, 1);
const iso = (minute: number) => new Date(T0 + minute * 60_000).toISOString();

/** The table: pools in walk order, each its points' minutes ascending (distinct). */
type Table = Array<{ type: string; az: string; minutes: number[] }>;

const rowsFrom = (table: Table, since: string): WindowPoint[] =>
  table.flatMap((p) =>
    p.minutes
      .map((m) => ({
        instance_type: p.type,
        availability_zone: p.az,
        region: 'us-east-1',
        t: iso(m),
        spot_price: 0.01 + m / 1e5,
      }))
      .filter((r) => r.t >= since),
  );

/** The answer as the table read gives it (insight-service.ts), as JSON; 'over' for the newest-points path. */
function readPage(table: Table, since: string, cap: number): string | 'over' {
  let rows = rowsFrom(table, since).slice(0, cap + 1);
  let truncated = false;
  let next: { instance_type: string; availability_zone: string } | null = null;
  if (rows.length > cap) {
    truncated = true;
    const last = rows[rows.length - 1]!;
    const whole = rows.filter(
      (r) => !(r.instance_type === last.instance_type && r.availability_zone === last.availability_zone),
    );
    if (whole.length === 0) return 'over';
    rows = whole;
    const end = whole[whole.length - 1]!;
    next = { instance_type: end.instance_type, availability_zone: end.availability_zone };
  }
  const pools = new Map<
    string,
    {
      instance_type: string;
      availability_zone: string;
      region: string;
      ondemand_price: number | null;
      points: Array<{ t: string; price: number }>;
    }
  >();
  for (const r of rows) {
    const k = `${r.instance_type}|${r.availability_zone}`;
    let p = pools.get(k);
    if (!p) {
      p = {
        instance_type: r.instance_type,
        availability_zone: r.availability_zone,
        region: r.region!,
        ondemand_price: ondemand(r.instance_type),
        points: [],
      };
      pools.set(k, p);
    }
    p.points.push({ t: r.t, price: r.spot_price });
  }
  return JSON.stringify({ pools: [...pools.values()], truncated, next });
}

const ondemand = (type: string) => (type.endsWith('0') ? null : 0.1);
const render = (held: ReturnType<typeof windowOf>, since: string, cap: number) => {
  const page = pageOf(held, since, cap);
  if (page === undefined) return undefined;
  if (page === 'one-pool-over-cap') return 'over';
  return renderPricePage(page, (p) => ondemand(p.instance_type)).toString();
};

const tableOf = fc
  .array(fc.uniqueArray(fc.integer({ min: 0, max: 120 }), { maxLength: 14 }), { minLength: 0, maxLength: 7 })
  .map(
    (pools): Table =>
      pools.map((minutes, i) => ({
        type: `m5.${i}xlarge`,
        az: `us-east-1${'abc'[i % 3]}`,
        minutes: minutes.sort((a, b) => a - b),
      })),
  );

describe('held price window', () => {
  it('answers a later window start with the page a read of the table gives, or not at all', () => {
    let answered = 0;
    fc.assert(
      fc.property(
        tableOf,
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 90 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 10 }),
        (table, start, later, cap, margin) => {
          const since0 = iso(start);
          const limit = cap + margin + 1;
          const held = windowOf(since0, rowsFrom(table, since0).slice(0, limit), limit);
          for (const since of [since0, iso(start + later)]) {
            const got = render(held, since, cap);
            if (got === undefined) continue;
            answered++;
            expect(got).toBe(readPage(table, since, cap));
          }
        },
      ),
      { numRuns: 400 },
    );
    // Not vacuous: most reads are answered from the held window.
    expect(answered).toBeGreaterThan(200);
  });

  it('brings a window forward by reading its changed pools again', () => {
    fc.assert(
      fc.property(
        tableOf,
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 130 })), { maxLength: 6 }),
        (table, start, cap, added) => {
          const since0 = iso(start);
          const limit = cap + cap + 1;
          const held = windowOf(since0, rowsFrom(table, since0).slice(0, limit), limit);
          if (held.pools.length === 0) return;
          // New points in held pools only (a new pool means a read of the whole window).
          const after = table.map((p) => ({ ...p, minutes: [...p.minutes] }));
          const changed = new Set<string>();
          for (const [which, minute] of added) {
            const pool = held.pools[which % held.pools.length]!;
            const p = after.find((q) => q.type === pool.instance_type && q.az === pool.availability_zone)!;
            if (!p.minutes.includes(minute)) p.minutes = [...p.minutes, minute].sort((a, b) => a - b);
            changed.add(poolKey(pool));
          }
          const fresh = new Map(
            [...changed].map((k) => {
              const p = after.find((q) => poolKey({ instance_type: q.type, availability_zone: q.az }) === k)!;
              return [k, heldPoolsOf(rowsFrom([p], since0))[0] ?? null] as const;
            }),
          );
          const forward = withPoolsReplaced(held, fresh);
          const got = render(forward, since0, cap);
          if (got !== undefined) expect(got).toBe(readPage(after, since0, cap));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('renders what JSON.stringify writes for the same answer', () => {
    const table: Table = [
      { type: 'c5.large', az: 'us-east-1a', minutes: [1, 2, 3] },
      { type: 'm5.10xlarge', az: 'us-east-1b', minutes: [2, 5] },
    ];
    const held = windowOf(iso(0), rowsFrom(table, iso(0)), 100);
    expect(held.complete).toBe(true);
    expect(render(held, iso(2), 3)).toBe(readPage(table, iso(2), 3));
    const parsed = JSON.parse(render(held, iso(2), 3)!);
    expect(parsed).toMatchObject({
      truncated: true,
      next: { instance_type: 'c5.large', availability_zone: 'us-east-1a' },
    });
    expect(parsed.pools[0].points).toEqual([
      { t: iso(2), price: 0.01 + 2 / 1e5 },
      { t: iso(3), price: 0.01 + 3 / 1e5 },
    ]);
    // A window read to its limit cannot say what follows its last (maybe short) pool.
    const cut = windowOf(iso(0), rowsFrom(table, iso(0)).slice(0, 4), 4);
    expect(cut.complete).toBe(false);
    expect(cut.pools.map((p) => p.times.length)).toEqual([3, 1]);
    expect(pageOf(cut, iso(0), 10)).toBeUndefined();
    expect(pageOf(cut, iso(0), 2)).toBe('one-pool-over-cap');
    expect(pageOf(cut, iso(0), 3)).toMatchObject({ truncated: true, pools: [{ from: 0 }] });
    // An earlier start than the held one is not in it.
    expect(pageOf(held, iso(-1), 10)).toBeUndefined();
  });

  it('names the pools PRICE_UPDATED events changed, and refuses an event it cannot read', () => {
    const price = (type: string, az: string) => ({
      type: 'PRICE_UPDATED' as const,
      data: { instance_type: type, availability_zone: az, region: null, spot_price: 0.1, timestamp: iso(1) },
    });
    expect(
      poolsChangedBy([
        price('c5.large', 'us-east-1a'),
        { type: 'HEARTBEAT', data: {} },
        price('c5.large', 'us-east-1a'),
        price('m5.large', 'us-east-1b'),
      ]),
    ).toEqual([
      { instance_type: 'c5.large', availability_zone: 'us-east-1a' },
      { instance_type: 'm5.large', availability_zone: 'us-east-1b' },
    ]);
    expect(poolsChangedBy([{ type: 'INSTANCE_UPDATED', data: {} }])).toEqual([]);
    expect(poolsChangedBy([{ type: 'PRICE_UPDATED', data: { instance_type: 'c5.large' } }])).toBeUndefined();
  });
});
