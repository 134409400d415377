import { Instance, type StreamEventType } from '@spot/contract';
import { assertNever } from './errors.ts';

/**
 * The dashboard's list of a client's instances not TERMINATED, newest first, kept as the JSON
 * bytes of each instance so that a change re-renders the list by concatenating buffers rather
 * than by reading and serialising thousands of rows again (or joining and encoding a 1 MB
 * string). Immutable: each change makes a new list.
 */
export interface ActiveInstanceList {
  /** Newest first (created_at descending), as the database lists them. */
  readonly entries: ReadonlyArray<{ id: string; createdAt: string; json: Buffer }>;
}

export function activeListOf(instances: readonly Instance[]): ActiveInstanceList {
  const entries = instances
    .filter((i) => i.status !== 'TERMINATED')
    .map((i) => ({ id: i.instance_id, createdAt: i.created_at, json: Buffer.from(JSON.stringify(i)) }));
  entries.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  return { entries };
}

const OPEN = Buffer.from('{"instances":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/** The list as GET /api/client/instances answers it (UTF-8 JSON). */
export function renderActiveList(list: ActiveInstanceList): Buffer {
  const parts: Buffer[] = [OPEN];
  list.entries.forEach((e, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(e.json);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/**
 * Whether events of this type carry the whole row of the instance they are about, written in
 * the transaction that changed it (services/transition.ts, lifecycle-service.ts). Exhaustive:
 * a new event type has to say whether the list applies it.
 */
export function carriesInstance(type: StreamEventType): boolean {
  switch (type) {
    case 'INSTANCE_LAUNCHING':
    case 'INSTANCE_RUNNING':
    case 'INSTANCE_PROMOTING':
    case 'INSTANCE_TERMINATING':
    case 'INSTANCE_TERMINATED':
    case 'INSTANCE_OFFLINE':
    case 'INSTANCE_FAILED':
    case 'INSTANCE_UPDATED':
      return true;
    case 'AGENT_STATUS_CHANGED':
    case 'COMMAND_EXECUTED':
    case 'EMERGENCY_EVENT':
    case 'SWITCH_STARTED':
    case 'SWITCH_COMPLETED':
    case 'SWITCH_FAILED':
    case 'PRICE_UPDATED':
    case 'DECISION_MADE':
    case 'NOTIFICATION':
    case 'HEARTBEAT':
      return false;
    default:
      return assertNever(type);
  }
}

/**
 * The list after the client's events, applied in seq order: an instance event replaces (or
 * adds) its instance, or removes it once TERMINATED; other events leave the list as it is.
 * Undefined when an instance event's data is not a whole instance — the caller then reads
 * the list from the database instead of guessing.
 */
export function applyInstanceEvents(
  list: ActiveInstanceList,
  events: ReadonlyArray<{ type: StreamEventType; data: unknown }>,
): ActiveInstanceList | undefined {
  const changed = new Map<string, Instance>();
  for (const e of events) {
    if (!carriesInstance(e.type)) continue;
    const parsed = Instance.safeParse(e.data);
    if (!parsed.success) return undefined;
    // A later event about the same instance wins (events come in seq order).
    changed.delete(parsed.data.instance_id);
    changed.set(parsed.data.instance_id, parsed.data);
  }
  if (changed.size === 0) return list;
  const kept = list.entries.filter((e) => !changed.has(e.id));
  const added = activeListOf([...changed.values()]).entries;
  // Merge two lists that are both newest first (ties: the kept one first, as it was there).
  const entries: Array<ActiveInstanceList['entries'][number]> = [];
  let k = 0;
  let a = 0;
  while (k < kept.length || a < added.length) {
    if (a >= added.length || (k < kept.length && kept[k]!.createdAt >= added[a]!.createdAt))
      entries.push(kept[k++]!);
    else entries.push(added[a++]!);
  }
  return { entries };
}
