import type { HistoryResponse, Instance, InstanceList } from '@spot/contract';
import {
  type ActiveInstanceList,
  activeListOf,
  applyInstanceEvents,
  renderActiveList,
} from '../domain/active-instance-list.ts';
import { notFound } from '../domain/errors.ts';
import { latestClientEventSeq, readClientEventsAfter } from '../repositories/events-outbox.ts';
import { isUuid } from '../repositories/ids.ts';
import { getInstance, listActiveInstances, listTerminatedInstances } from '../repositories/instances.ts';
import { listLifecycleEvents } from '../repositories/lifecycle-events.ts';
import { isoRowToInstanceJson, toInstanceJson } from '../views/instance.ts';
import type { ServiceContext } from './context.ts';
import { FORWARD_EVENTS_MAX, forwardForMs, SeqStampedCache } from './seq-stamped-cache.ts';

/** Room for the serialized active lists of the busiest tenants (10,000 instances ~ 0.9 MB). */
const ACTIVE_LIST_CACHE_BYTES = 64 * 1024 * 1024;

/** The dashboard's reads of a client's instances (read models: repositories in, views out). */
export class InstanceQueries {
  /** The active list as JSON bytes, stamped with the client's latest event seq. */
  readonly activeCache: SeqStampedCache<{ list: ActiveInstanceList; builtAt: number }>;
  private readonly forwardForMs: number;

  constructor(
    private readonly ctx: ServiceContext,
    /** Counts each active list answered, by where it came from (a Prometheus counter). */
    private readonly answered: (from: 'held' | 'events' | 'table') => void = () => {},
    cacheBytes = ACTIVE_LIST_CACHE_BYTES,
  ) {
    this.activeCache = new SeqStampedCache(cacheBytes);
    this.forwardForMs = forwardForMs(ctx.timings.eventRetentionMs);
  }

  /** Instances not TERMINATED (timestamps come as ISO text: no Date per row). */
  async active(clientId: string): Promise<InstanceList> {
    return { instances: (await listActiveInstances(this.ctx.db.kysely, clientId)).map(isoRowToInstanceJson) };
  }

  /**
   * The active list as the JSON the route sends. Every write to an instance row appends an
   * event carrying the whole row for its client in the same transaction (transition.ts,
   * lifecycle-service.ts), and seqs commit in order. So the text read after the client's
   * latest seq was N stays right until a seq above N commits, and then the events between
   * bring it forward: at fleet scale (10,000 instances, 0.9 MB) an unchanged list is one
   * index probe, a changed one the probe, the new events and a concatenation of each
   * instance's JSON bytes, instead of a 10,000-row read and its serialisation. The probe comes first and alone: whatever is
   * read after it is at least as new.
   */
  async activeJson(clientId: string): Promise<Buffer> {
    const db = this.ctx.db.kysely;
    const seq = await latestClientEventSeq(db, clientId);
    let from: 'held' | 'events' | 'table' = 'held';
    const body = await this.activeCache.get(clientId, seq, async (held) => {
      let list: ActiveInstanceList | undefined;
      if (held && this.ctx.now().getTime() - held.model.builtAt < this.forwardForMs) {
        const events = await readClientEventsAfter(db, clientId, held.seq, FORWARD_EVENTS_MAX + 1);
        if (events.length <= FORWARD_EVENTS_MAX)
          list = applyInstanceEvents(
            held.model.list,
            events.filter((e) => e.seq <= seq),
          );
      }
      from = list ? 'events' : 'table';
      const builtAt = list ? held!.model.builtAt : this.ctx.now().getTime();
      list ??= activeListOf((await listActiveInstances(db, clientId)).map(isoRowToInstanceJson));
      const body = renderActiveList(list);
      // The model holds the same JSON as the body, one buffer per instance.
      return { model: { list, builtAt }, body, modelBytes: body.byteLength };
    });
    this.answered(from);
    return body;
  }

  /** Terminated instances, newest first, a page at a time. */
  async terminated(clientId: string, limit: number, before?: string): Promise<InstanceList> {
    const rows = await listTerminatedInstances(this.ctx.db.kysely, clientId, limit, before);
    return { instances: rows.map(isoRowToInstanceJson) };
  }

  async one(clientId: string, instanceId: string): Promise<Instance> {
    return toInstanceJson(await this.own(clientId, instanceId));
  }

  /** The instance's lifecycle events, oldest first. */
  async history(clientId: string, instanceId: string): Promise<HistoryResponse> {
    const row = await this.own(clientId, instanceId);
    return { events: await listLifecycleEvents(this.ctx.db.kysely, row.id) };
  }

  /** The id of one of the client's instances (404 otherwise), for a command on it. */
  async ownId(clientId: string, instanceId: string): Promise<string> {
    return (await this.own(clientId, instanceId)).id;
  }

  /** Unknown and foreign ids both answer 404; a malformed one too, without touching the DB. */
  private async own(clientId: string, instanceId: string) {
    const row = isUuid(instanceId) ? await getInstance(this.ctx.db.kysely, clientId, instanceId) : undefined;
    if (!row) throw notFound('instance', instanceId);
    return row;
  }
}
