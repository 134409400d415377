import type { HistoryResponse, Instance, InstanceList } from '@spot/contract';
import { notFound } from '../domain/errors.ts';
import { isUuid } from '../repositories/ids.ts';
import { getInstance, listActiveInstances, listTerminatedInstances } from '../repositories/instances.ts';
import { listLifecycleEvents } from '../repositories/lifecycle-events.ts';
import { isoRowToInstanceJson, toInstanceJson } from '../views/instance.ts';
import type { ServiceContext } from './context.ts';

/** The dashboard's reads of a client's instances (read models: repositories in, views out). */
export class InstanceQueries {
  constructor(private readonly ctx: ServiceContext) {}

  /** Instances not TERMINATED (timestamps come as ISO text: no Date per row). */
  async active(clientId: string): Promise<InstanceList> {
    return { instances: (await listActiveInstances(this.ctx.db.kysely, clientId)).map(isoRowToInstanceJson) };
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
