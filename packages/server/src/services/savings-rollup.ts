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
  storeHours,
  tryRollupStepLock,
} from '../repositories/savings-rollup.ts';
import type { ServiceContext } from './context.ts';
import { loadSpans, type SpanRuns } from './savings-window.ts';

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
}

/**
 * The savings rollup: finished hours are computed once and stored per client, so a savings
 * window reads its stored hours and computes only what is not stored — the hour in progress,
 * the window's partial first hour, and hours a change removed since (triggers of migration 010
 * remove them; this job computes them again).
 */
export class SavingsRollup {
  constructor(private readonly ctx: ServiceContext) {}

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
    });
    return { stored: stored?.sums ?? new Map(), spans };
  }

  /**
   * Splits [since, now) into its stored hours (read with `stored`) and the spans around them,
   * read from the raw tables. Null `stored` when the window is computed whole (too many holes).
   *
   * The raw reads of the edges a window usually has (its partial first hour, and the hours
   * since the job last stored one) start together with the read of the stored hours rather
   * than after it: that saves the answer a round of queries. An edge that turns out otherwise
   * (the job behind, a change that removed recent hours) is read once the stored hours are known.
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
    const read = (spans: Array<[number, number]>) =>
      loadSpans(
        db,
        clientId,
        spans.map(([from, to]) => ({ since: new Date(from), now: new Date(to) })),
        { ondemand },
      );
    const expected: Array<[number, number]> = [];
    if (lastFull > firstFull) {
      if (sinceMs < firstFull) expected.push([sinceMs, firstFull]);
      const settled = Math.floor((nowMs - ROLLUP_SETTLE_MS) / HOUR) * HOUR;
      expected.push([Math.max(firstFull, Math.min(lastFull, settled)), nowMs]);
    }
    const early = read(expected);
    early.catch(() => {}); // awaited below when the window has these edges
    try {
      let got: T | null =
        lastFull > firstFull ? await stored.read(new Date(firstFull), new Date(lastFull)) : null;
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
      // The edges read early that the window has, and one read for any others.
      const key = ([from, to]: [number, number]) => `${from}-${to}`;
      const earlyIndex = new Map(expected.map((g, k) => [key(g), k]));
      const others = gaps.filter((g) => !earlyIndex.has(key(g)));
      const [fromEarly, late] = await Promise.all([early, read(others)]);
      const lateOf = new Map(others.map((g, k) => [key(g), late[k]!]));
      const spans = gaps.map((g) => {
        const k = earlyIndex.get(key(g));
        return k === undefined ? lateOf.get(key(g))! : fromEarly[k]!;
      });
      return { stored: got, spans };
    } finally {
      // Read early for edges the window may not have: waited for, so its connection is back.
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
