import type { Executor, Tx } from '../db/executor.ts';
import { type AgentHour, type AgentSums, agentHourSummaries } from '../domain/agent-hours.ts';
import { replicaPeriods, replicaStretches } from '../domain/replica-periods.ts';
import {
  type CurrentRates,
  currentRates,
  emptyHour,
  type HourSummary,
  hourSummaries,
} from '../domain/savings.ts';
import { listOndemandPrices, listSwitchesTargeting } from '../repositories/savings.ts';
import { agentSumsOfSpan, pruneAgentRows } from '../repositories/savings-agent-hours.ts';
import {
  currentSnapshot,
  firstLaunchOf,
  listClientsWithRuns,
  listMissingHours,
  listStoredHours,
  pruneInvalidations,
  storedSpanStamp,
  storeHours,
  tryRollupStepLock,
} from '../repositories/savings-rollup.ts';
import type { ServiceContext } from './context.ts';
import { HeldLiveSpans, type LiveSpanSource } from './held-live-spans.ts';
import { HeldStoredSavings } from './held-stored-savings.ts';
import { loadSpans, type SpanRuns, spanFrom } from './savings-window.ts';
import { forwardForMs } from './seq-stamped-cache.ts';

type StoredHours = Awaited<ReturnType<typeof listStoredHours>>;
type AgentSpanSums = Awaited<ReturnType<typeof agentSumsOfSpan>>;

const HOUR = 3_600_000;
/** The longest savings window the API allows (SavingsQuery: 2,160 hours). */
export const ROLLUP_HORIZON_HOURS = 2_160;
/**
 * An hour is stored once it has been over this long: prices observed just before its end and
 * confirmations of its last minutes mostly arrive by then, so it is seldom computed twice.
 * (A later change still removes it; the job computes it again.)
 */
export const ROLLUP_SETTLE_MS = 10 * 60_000;
/** Hours read and summed at a time (bounds the price points held in memory). */
const CHUNK_HOURS = 24;
/** Hours one client's step computes before it stores them and lets the others go on. */
const HOURS_PER_STEP = 720;
/** The longest span after the last stored hour held between answers (a job far behind reads it). */
const LIVE_MAX_MS = 24 * HOUR;
/** Rough size in memory of a stored hour or an agent's sums, for the held windows' budget. */
const ROW_BYTES = 240;
/** A window with more holes than this is computed whole rather than hole by hole. */
const MAX_GAPS = 6;

export interface WindowHours {
  parts: HourSummary[];
  rates: CurrentRates;
}

/** A window per agent: each agent's stored hours summed, and the raw spans around them. */
export interface AgentWindow {
  stored: Map<string, AgentSums>;
  /** The spans not stored, read from the raw tables, oldest first (the last one ends at now). */
  spans: SpanRuns[];
}

/** What a window's stored part is read as: anything, with the hour starts it covers. */
interface StoredRead<T> {
  read: (from: Date, to: Date) => Promise<T>;
  hoursOf: (stored: T) => readonly number[];
  held: HeldStoredSavings<T>;
}

/**
 * The savings rollup: finished hours are computed once and stored per client, so a savings
 * window reads its stored hours and computes only what is not stored — the hour in progress,
 * the window's partial first hour, and hours a change removed since (triggers of migration 010
 * remove them; this job computes them again).
 */
export class SavingsRollup {
  /** Windows' stored parts between reads (see split), one kind per answer. */
  private readonly heldHours = new HeldStoredSavings<StoredHours>(
    (s) => (s.hours.length + s.unknownOndemand.length + s.unknownSpotPrice.length) * ROW_BYTES,
  );
  private readonly heldAgentSums = new HeldStoredSavings<AgentSpanSums>((s) => {
    let rows = s.hours.length;
    for (const a of s.sums.values()) rows += 1 + a.unknown_ondemand.length + a.unknown_spot_price.length;
    return rows * ROW_BYTES;
  });

  /** The hours since the last stored one, per client (see HeldLiveSpans). */
  private readonly live: HeldLiveSpans;
  /** Told where each window's stored part came from (the metric). */
  private readonly answered: (from: 'held' | 'read') => void;

  constructor(
    private readonly ctx: ServiceContext,
    /** Where each window's parts came from (the metrics). */
    answered: {
      stored?: (from: 'held' | 'read') => void;
      live?: (from: LiveSpanSource) => void;
    } = {},
  ) {
    this.answered = answered.stored ?? (() => {});
    this.live = new HeldLiveSpans(() => ctx.now(), forwardForMs(ctx.timings.eventRetentionMs), answered.live);
  }

  /** The clients the job visits. */
  clients(tx: Tx): Promise<string[]> {
    return listClientsWithRuns(tx);
  }

  /**
   * Computes one client's missing finished hours (oldest first, at most HOURS_PER_STEP) and
   * stores those no change it could not see has touched since. Returns the hours stored.
   */
  async rollClient(tx: Tx, clientId: string): Promise<number> {
    // One step at a time across replicas: a step prunes the removal records older steps' checks
    // rely on, so a step must not overlap another one (a busy lock skips this client this pass).
    if (!(await tryRollupStepLock(tx))) return 0;
    const snapshot = await currentSnapshot(tx);
    const now = this.ctx.now();
    const end = Math.floor((now.getTime() - ROLLUP_SETTLE_MS) / HOUR) * HOUR;
    const first = await firstLaunchOf(tx, clientId);
    if (first === null) return 0;
    // Hours before the client's first run are not stored: a window reads them as a (cheap) gap.
    const start = Math.max(end - ROLLUP_HORIZON_HOURS * HOUR, Math.floor(first / HOUR) * HOUR);
    const missing = await listMissingHours(tx, clientId, new Date(start), new Date(end), HOURS_PER_STEP);
    const computed: HourSummary[] = [];
    const agentHours: AgentHour[] = [];
    for (const [from, to] of runsOfHours(missing, CHUNK_HOURS)) {
      const [data] = await loadSpans(tx, clientId, [{ since: new Date(from), now: new Date(to) }]);
      const byHour = new Map(hourSummaries(data!.runs, data!.prices).map((h) => [h.hour, h]));
      for (let h = from; h < to; h += HOUR) computed.push(byHour.get(h) ?? emptyHour(h));
      // Per agent too, with its standing replicas as the switches targeting them say now.
      const targeting = await listSwitchesTargeting(tx, clientId, [...data!.runOf.keys()]);
      const periods = replicaPeriods(data!.rows, data!.runOf, replicaStretches(targeting));
      agentHours.push(...agentHourSummaries(data!.runs, data!.prices, periods));
    }
    const stored = await storeHours(tx, clientId, snapshot, computed, agentHours, now);
    // Per-agent rows older than any window (a day's margin) go; the client hours stay.
    await pruneAgentRows(tx, clientId, new Date(end - (ROLLUP_HORIZON_HOURS + 24) * HOUR));
    await pruneInvalidations(tx, snapshot);
    return stored;
  }

  /**
   * The hours of [since, now) for a savings answer: stored ones as they are, the rest computed
   * from the raw tables, and the current rates from the runs going at `now`.
   */
  async windowHours(db: Executor, clientId: string, since: Date, now: Date): Promise<WindowHours> {
    const { stored, spans } = await this.split(db, clientId, since, now, {
      read: (from, to) => listStoredHours(db, clientId, from, to),
      hoursOf: (r) => r.hours.map((h) => h.hour),
      held: this.heldHours,
    });
    const parts: HourSummary[] = [];
    if (stored && stored.hours.length > 0) {
      parts.push(...stored.hours);
      // The stored hours' unknowns, summed: unknowns add up over hours, so one part carries them.
      parts.push({
        ...emptyHour(stored.hours[0]!.hour),
        unknown_ondemand: stored.unknownOndemand,
        unknown_spot_price: stored.unknownSpotPrice,
      });
    }
    for (const data of spans) parts.push(...hourSummaries(data.runs, data.prices));
    const last = spans[spans.length - 1]!;
    return { parts, rates: currentRates(last.runs, last.prices, now.getTime()) };
  }

  /**
   * A window per agent: each agent's stored hours summed by the database (per-agent rows of
   * migration 012), and the spans not stored, read from the raw tables for every agent at once.
   */
  async agentWindow(db: Executor, clientId: string, since: Date, now: Date): Promise<AgentWindow> {
    const { stored, spans } = await this.split(db, clientId, since, now, {
      read: (from, to) => agentSumsOfSpan(db, clientId, from, to),
      hoursOf: (r) => r.hours,
      held: this.heldAgentSums,
    });
    return { stored: stored?.sums ?? new Map(), spans };
  }

  /**
   * Splits [since, now) into its stored hours (read with `stored`) and the spans around them,
   * read from the raw tables. Null `stored` when the window is computed whole (too many holes).
   *
   * The hours since the job last stored one are live: held by the client's event seq
   * (HeldLiveSpans), asked for at once. The rest changes only with the rollup, so it is held
   * too (`stored.held`): the stored hours, and the raw hour before the first of them, from
   * which the window's partial first hour is cut. A stamp of the stored span, read before
   * anything it vouches for, says whether the held part still stands; a change between the
   * stamp and the reads moves the next stamp, so nothing read is kept under an older stamp.
   */
  private async split<T>(
    db: Executor,
    clientId: string,
    since: Date,
    now: Date,
    stored: StoredRead<T>,
  ): Promise<{ stored: T | null; spans: SpanRuns[] }> {
    const sinceMs = since.getTime();
    const nowMs = now.getTime();
    const firstFull = Math.ceil(sinceMs / HOUR) * HOUR;
    const lastFull = Math.floor(nowMs / HOUR) * HOUR;
    const ondemand = listOndemandPrices(db);
    ondemand.catch(() => {}); // its failure reaches the answer through the spans that read it
    const read = async (spans: ReadonlyArray<readonly [number, number]>) =>
      spans.length === 0
        ? []
        : loadSpans(
            db,
            clientId,
            spans.map(([from, to]) => ({ since: new Date(from), now: new Date(to) })),
            { ondemand },
          );
    // A window within an hour or two has no whole hour to store.
    if (lastFull <= firstFull) return { stored: null, spans: await read([[sinceMs, nowMs]]) };
    const settled = Math.floor((nowMs - ROLLUP_SETTLE_MS) / HOUR) * HOUR;
    const live = [Math.max(firstFull, Math.min(lastFull, settled)), nowMs] as const;
    const early = this.live.span(db, clientId, live[0], nowMs, ondemand).then((span) => [span]);
    early.catch(() => {}); // awaited below when the window has this span
    try {
      const firstHour = firstFull - HOUR;
      const { stamp, first } = await storedSpanStamp(db, clientId, new Date(firstHour), new Date(lastFull));
      let held = stored.held.get(clientId, firstFull, lastFull, stamp);
      this.answered(held ? 'held' : 'read');
      if (!held) {
        // The hour before the first full one is held only when stored: its inputs are then
        // watched by the stamp (a raw hour that is not stored may still be changing).
        const [got, raw] = await Promise.all([
          stored.read(new Date(firstFull), new Date(lastFull)),
          first === firstHour ? read([[firstHour, firstFull]]).then(([s]) => s!) : null,
        ]);
        held = { stamp, stored: got, firstHour: raw };
        stored.held.set(clientId, firstFull, lastFull, held);
      }
      let got: T | null = held.stored;
      let gaps: Array<[number, number]> = [];
      let cursor = sinceMs;
      for (const h of got ? stored.hoursOf(got) : []) {
        if (h > cursor) gaps.push([cursor, h]);
        cursor = h + HOUR;
      }
      gaps.push([cursor, nowMs]); // always: the current rates come from this one
      if (gaps.length > MAX_GAPS) {
        got = null;
        gaps = [[sinceMs, nowMs]];
      }
      const isLive = ([from, to]: [number, number]) => from === live[0] && to === live[1];
      const cut = held.firstHour;
      const isCut = ([from, to]: [number, number]) => cut !== null && from === sinceMs && to === firstFull;
      // The span after the last stored hour when it is not the one asked for early (the job is
      // behind, or a change removed recent hours): held too, from its own hour on.
      const last = gaps[gaps.length - 1]!;
      const lateLive =
        !isLive(last) && got !== null && last[0] % HOUR === 0 && nowMs - last[0] <= LIVE_MAX_MS
          ? this.live.span(db, clientId, last[0], nowMs, ondemand)
          : undefined;
      const others = gaps.filter((g) => !isLive(g) && !isCut(g) && !(lateLive && g === last));
      const [fromEarly, late, lastSpan] = await Promise.all([early, read(others), lateLive]);
      const key = ([from, to]: [number, number]) => `${from}-${to}`;
      const lateOf = new Map(others.map((g, k) => [key(g), late[k]!]));
      const spans = gaps.map((g) =>
        isCut(g)
          ? spanFrom(cut!, sinceMs)
          : isLive(g)
            ? fromEarly[0]!
            : lateLive && g === last
              ? lastSpan!
              : lateOf.get(key(g))!,
      );
      return { stored: got, spans };
    } finally {
      // Read early for a span the window may not have: waited for, so its connection is back.
      await early.catch(() => {});
    }
  }
}

/** Sorted hour starts → contiguous [from, to) spans of at most `max` hours each. */
function runsOfHours(hours: readonly number[], max: number): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const h of hours) {
    const last = spans[spans.length - 1];
    if (last && last[1] === h && (last[1] - last[0]) / HOUR < max) last[1] = h + HOUR;
    else spans.push([h, h + HOUR]);
  }
  return spans;
}
