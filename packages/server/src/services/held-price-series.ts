import { PRICE_POINTS_CAP } from '@spot/contract';
import {
  type HeldPool,
  type HeldPriceWindow,
  heldBytes,
  heldPoolsOf,
  type PoolRef,
  type PricePage,
  pageOf,
  poolKey,
  poolsChangedBy,
  renderPricePage,
  windowOf,
  withPoolsReplaced,
} from '../domain/price-window.ts';
import { latestClientEventSeq, readClientEventsAfter } from '../repositories/events-outbox.ts';
import { countPoolsBetween, listPoolWindows, listPricePoints } from '../repositories/price-series.ts';
import { ByteBoundedLru } from './byte-bounded-lru.ts';
import type { ServiceContext } from './context.ts';
import { STAGING_RETENTION_MS } from './price-consolidation.ts';
import { FORWARD_EVENTS_MAX, forwardForMs } from './seq-stamped-cache.ts';

/** Room for the held windows of the busiest tenants (a 5,000-point page holds ~0.5 MB). */
const HELD_WINDOWS_BYTES = 64 * 1024 * 1024;
/**
 * A window is read with this many rows: a quarter more than a page, so that points leaving
 * its start (a 24 h window loses ~4% an hour) still leave a whole page to answer from.
 */
const READ_ROWS = PRICE_POINTS_CAP + PRICE_POINTS_CAP / 4 + 1;

interface Held {
  /** The client's latest event seq when the window was last known current. */
  seq: number;
  builtAt: number;
  window: HeldPriceWindow;
  /** The last page sent from this window, as bytes: the same page (same pools cut at the same points, same on-demand prices) is sent again as it is. */
  sent?: { page: PricePage; ondemand: Array<number | null>; body: Buffer };
}

const samePage = (a: PricePage, b: PricePage) =>
  a.pools.length === b.pools.length &&
  a.truncated === b.truncated &&
  a.pools.every((p, i) => p.pool === b.pools[i]!.pool && p.from === b.pools[i]!.from);

export type PriceWindowSource = 'held' | 'events' | 'table';

/**
 * The dashboard's price series, answered from a held window while it is current. Sound for
 * the same reasons as the held instance list (seq-stamped-cache.ts): the client's latest event
 * seq is probed first; price snapshots are written only with a PRICE_UPDATED event per pool in
 * the same transaction, and seqs commit in order. So a window read after the probe saw N is
 * current until a later seq; then the events in between name the pools to read again (a pool
 * the held window does not have, among the pools it covers, means reading it all again).
 * Points leave a window only by time (the staging retention deletes nothing a held window
 * this short can show), which the page cut does.
 */
export class HeldPriceSeries {
  private readonly held = new ByteBoundedLru<Held>(HELD_WINDOWS_BYTES);
  private readonly forwardForMs: number;

  constructor(
    private readonly ctx: ServiceContext,
    /** Counts each answer by where it came from (a Prometheus counter). */
    private readonly answered: (from: PriceWindowSource) => void = () => {},
  ) {
    this.forwardForMs = forwardForMs(ctx.timings.eventRetentionMs);
  }

  /** Whether a window of `hours` can be held: none of its points may be deleted without an event. */
  holds(hours: number): boolean {
    return hours * 3_600_000 + this.forwardForMs <= STAGING_RETENTION_MS;
  }

  /**
   * The page's JSON bytes for the window from `since` (every pool, or one instance type's, after
   * `after`), or undefined for the one page a held window does not serve: a single pool with
   * more points than a page (the caller reads its newest points).
   */
  async page(
    clientId: string,
    hours: number,
    since: Date,
    type: string | undefined,
    after: PoolRef | undefined,
    readOndemand: () => Promise<ReadonlyMap<string, number>>,
  ): Promise<Buffer | undefined> {
    const db = this.ctx.db.kysely;
    const key = [clientId, hours, type ?? '', after ? poolKey(after) : ''].join('\u0001');
    // The probe first and alone: whatever is read after it is at least as new.
    const [seq, od] = await Promise.all([latestClientEventSeq(db, clientId), readOndemand()]);
    const sinceIso = since.toISOString();
    let from: PriceWindowSource = 'held';
    let held = this.held.get(key);
    if (held && held.seq !== seq) {
      held = await this.forward(clientId, held, seq, type, after);
      from = 'events';
    }
    let page = held && pageOf(held.window, sinceIso, PRICE_POINTS_CAP);
    if (!page) {
      from = 'table';
      const rows = await listPricePoints(
        db,
        clientId,
        since,
        { instance_type: type, ...(after ? { after } : {}) },
        READ_ROWS,
      );
      held = { seq, builtAt: this.ctx.now().getTime(), window: windowOf(sinceIso, rows, READ_ROWS) };
      page = pageOf(held.window, sinceIso, PRICE_POINTS_CAP);
    }
    if (!held || !page || page === 'one-pool-over-cap') {
      if (held) this.held.set(key, held, heldBytes(held.window));
      return undefined;
    }
    const ondemand = page.pools.map(({ pool }) => od.get(`${pool.region}|${pool.instance_type}`) ?? null);
    const { sent } = held;
    let body: Buffer;
    if (sent && samePage(sent.page, page) && sent.ondemand.every((v, i) => v === ondemand[i]))
      body = sent.body;
    else {
      body = renderPricePage(page, (_, i) => ondemand[i]!);
      held = { ...held, sent: { page, ondemand, body } };
    }
    this.held.set(key, held, heldBytes(held.window) + body.byteLength);
    this.answered(from);
    return body;
  }

  /** The held window brought to `seq`, or undefined when it has to be read again. */
  private async forward(
    clientId: string,
    held: Held,
    seq: number,
    type: string | undefined,
    after: PoolRef | undefined,
  ): Promise<Held | undefined> {
    const db = this.ctx.db.kysely;
    if (held.seq > seq || this.ctx.now().getTime() - held.builtAt >= this.forwardForMs) return undefined;
    const events = await readClientEventsAfter(db, clientId, held.seq, FORWARD_EVENTS_MAX + 1);
    if (events.length > FORWARD_EVENTS_MAX) return undefined;
    const changed = poolsChangedBy(events.filter((e) => e.seq <= seq))?.filter(
      (p) => type === undefined || p.instance_type === type,
    );
    if (!changed) return undefined;
    const { window } = held;
    const heldKeys = new Set(window.pools.map(poolKey));
    const reread = changed.filter((p) => heldKeys.has(poolKey(p)));
    const unheld = changed.filter((p) => !heldKeys.has(poolKey(p)));
    if (unheld.length > 0) {
      // A new pool inside the held ones: where it goes is the database's order to say.
      const last = window.pools[window.pools.length - 1];
      if (window.complete || !last || (await countPoolsBetween(db, unheld, after, last)) > 0)
        return undefined;
    }
    if (reread.length === 0) return { ...held, seq };
    const rows = await listPoolWindows(db, clientId, new Date(window.since), reread, READ_ROWS);
    if (rows.length >= READ_ROWS) return undefined;
    const fresh = new Map<string, HeldPool | null>(reread.map((p) => [poolKey(p), null]));
    for (const p of heldPoolsOf(rows)) fresh.set(poolKey(p), p);
    return { ...held, seq, window: withPoolsReplaced(window, fresh) };
  }
}
