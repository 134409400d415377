import { PriceUpdatedData, type StreamEventType } from '@spot/contract';
import { assertNever } from './errors.ts';
import { poolKey } from './savings.ts';

/** A pool, as a savings span reads its prices. */
export interface PoolOfPrices {
  instance_type: string;
  availability_zone: string;
}

/** What some events changed of a savings span's raw inputs. */
export interface SavingsInputChanges {
  /** Pools with new or changed price points. */
  pools: PoolOfPrices[];
  /** Some instance changed (its times, pool, market or role may have). */
  runs: boolean;
}

/**
 * What a client's events since a span was read say of its inputs (pure). Price snapshots are
 * written only with a PRICE_UPDATED event per pool, and instances only with an INSTANCE_*
 * event carrying the row, each in the writing transaction; nothing else a span reads
 * (switches are read with every answer; the on-demand list too). Undefined when an event
 * cannot be read: the span is then read again whole.
 */
export function savingsInputsChangedBy(
  events: ReadonlyArray<{ type: StreamEventType; data: unknown }>,
): SavingsInputChanges | undefined {
  const pools = new Map<string, PoolOfPrices>();
  let runs = false;
  for (const e of events) {
    switch (e.type) {
      case 'PRICE_UPDATED': {
        const parsed = PriceUpdatedData.safeParse(e.data);
        if (!parsed.success) return undefined;
        const { instance_type, availability_zone } = parsed.data;
        pools.set(poolKey(instance_type, availability_zone), { instance_type, availability_zone });
        break;
      }
      case 'INSTANCE_LAUNCHING':
      case 'INSTANCE_RUNNING':
      case 'INSTANCE_PROMOTING':
      case 'INSTANCE_TERMINATING':
      case 'INSTANCE_TERMINATED':
      case 'INSTANCE_OFFLINE':
      case 'INSTANCE_FAILED':
      case 'INSTANCE_UPDATED':
        runs = true;
        break;
      case 'AGENT_STATUS_CHANGED':
      case 'COMMAND_EXECUTED':
      case 'EMERGENCY_EVENT':
      case 'SWITCH_STARTED':
      case 'SWITCH_COMPLETED':
      case 'SWITCH_FAILED':
      case 'DECISION_MADE':
      case 'NOTIFICATION':
      case 'HEARTBEAT':
        break;
      default:
        return assertNever(e.type);
    }
  }
  return { pools: [...pools.values()], runs };
}
