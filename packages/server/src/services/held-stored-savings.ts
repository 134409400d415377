import { ByteBoundedLru } from './byte-bounded-lru.ts';
import type { SpanRuns } from './savings-window.ts';

/** Bytes the held windows of one kind may take (the LRU drops the least recently read). */
const HELD_BYTES = 32 * 1024 * 1024;
/** Rough sizes in memory, for the LRU's budget. */
const RUN_BYTES = 400;
const POINT_BYTES = 48;

/**
 * A savings window's part that only the rollup changes, held between reads: its stored hours
 * as read (`stored`), and the raw runs and prices of the stored hour just before its first
 * full one (`firstHour`), from which the window's partial first hour is cut however far into
 * that hour the window starts. All of it stands while `stamp` (repositories/savings-rollup.ts
 * storedSpanStamp over that hour and the stored span) is unchanged: migration 010's triggers
 * remove a stored hour whenever an input of it changes — its runs' times, pools and markets,
 * a price point up to its end, the on-demand list — and a stored hour's inputs are the first
 * hour's raw rows. (Replica roles are as of the read, as the stored hours' own replica costs
 * are as of their computation.)
 */
export interface HeldStored<T> {
  stamp: string;
  stored: T | null;
  firstHour: SpanRuns | null;
}

/** Held stored parts of savings windows, by client and the window's stored hours. */
export class HeldStoredSavings<T> {
  private readonly lru = new ByteBoundedLru<HeldStored<T>>(HELD_BYTES);

  constructor(private readonly bytesOf: (stored: T) => number) {}

  /** What is held for the window, if it was held at this very stamp. */
  get(clientId: string, firstFull: number, lastFull: number, stamp: string): HeldStored<T> | undefined {
    const held = this.lru.get(keyOf(clientId, firstFull, lastFull));
    return held?.stamp === stamp ? held : undefined;
  }

  /** Holds what was read after the stamp was (so a change between them moves the stamp). */
  set(clientId: string, firstFull: number, lastFull: number, held: HeldStored<T>): void {
    const first = held.firstHour;
    const points = first ? [...first.prices.values()].reduce((n, p) => n + p.length, 0) : 0;
    const bytes =
      (held.stored === null ? 0 : this.bytesOf(held.stored)) +
      (first ? first.runs.length * RUN_BYTES : 0) +
      points * POINT_BYTES;
    this.lru.set(keyOf(clientId, firstFull, lastFull), held, bytes);
  }
}

const keyOf = (clientId: string, firstFull: number, lastFull: number) =>
  `${clientId}|${firstFull}|${lastFull}`;
