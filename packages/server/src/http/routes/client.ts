import {
  AgentList,
  ErrorBody,
  HistoryResponse,
  Instance,
  InstanceList,
  InstanceParams,
  InterruptionList,
  LaunchRequest,
  LaunchResponse,
  PriceQuery,
  PriceResponse,
  TerminatedListQuery,
  TerminateRequest,
  TerminateResponse,
} from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalKey } from '../../auth/principal.ts';
import { notFound } from '../../domain/errors.ts';
import { getInstance, listActiveInstances, listTerminatedInstances } from '../../repositories/instances.ts';
import { listLifecycleEvents } from '../../repositories/lifecycle-events.ts';
import type { AgentService } from '../../services/agent-service.ts';
import type { ClientService } from '../../services/client-service.ts';
import type { ServiceContext } from '../../services/context.ts';
import type { InsightService } from '../../services/insight-service.ts';
import type { LifecycleService } from '../../services/lifecycle-service.ts';
import { isoRowToInstanceJson, toInstanceJson } from '../../views/instance.ts';
import { requestIdOf, tenantOf } from '../client-request.ts';
import { typedListSerializer } from '../typed-serializer.ts';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
};
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ClientRouteDeps {
  ctx: ServiceContext;
  clients: ClientService;
  lifecycle: LifecycleService;
  agents: AgentService;
  insights: InsightService;
}

export const clientRoutes =
  ({ ctx, clients, lifecycle, agents, insights }: ClientRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tenant = tenantOf(clients);
    // Unknown and foreign ids both answer 404; a malformed one too, without touching the DB.
    const ownInstance = async (clientId: string, id: string) => {
      const row = UUID_RE.test(id) ? await getInstance(ctx.db.kysely, clientId, id) : undefined;
      if (!row) throw notFound('instance', id);
      return row;
    };

    app.get(
      '/api/client/instances',
      {
        schema: {
          tags: ['client'],
          summary: 'Active instances (not TERMINATED)',
          response: { 200: InstanceList, ...errors },
        },
        ...typedListSerializer,
      },
      async (request) => {
        const clientId = await tenant(request);
        return { instances: (await listActiveInstances(ctx.db.kysely, clientId)).map(isoRowToInstanceJson) };
      },
    );

    app.get(
      '/api/client/instances/terminated',
      {
        schema: {
          tags: ['client'],
          summary: 'Terminated instances, newest first (history)',
          querystring: TerminatedListQuery,
          response: { 200: InstanceList, ...errors },
        },
        ...typedListSerializer,
      },
      async (request) => {
        const clientId = await tenant(request);
        const rows = await listTerminatedInstances(
          ctx.db.kysely,
          clientId,
          request.query.limit,
          request.query.before,
        );
        return { instances: rows.map(isoRowToInstanceJson) };
      },
    );

    app.get(
      '/api/client/instances/:instance_id',
      {
        schema: {
          tags: ['client'],
          summary: 'One instance',
          params: InstanceParams,
          response: { 200: Instance, ...errors },
        },
      },
      async (request) => toInstanceJson(await ownInstance(await tenant(request), request.params.instance_id)),
    );

    app.get(
      '/api/client/instances/:instance_id/history',
      {
        schema: {
          tags: ['client'],
          summary: 'Lifecycle events of an instance, oldest first',
          params: InstanceParams,
          response: { 200: HistoryResponse, ...errors },
        },
      },
      async (request) => {
        const row = await ownInstance(await tenant(request), request.params.instance_id);
        return { events: await listLifecycleEvents(ctx.db.kysely, row.id) };
      },
    );

    app.post(
      '/api/client/instances/launch',
      {
        schema: {
          tags: ['client'],
          summary: 'Launch an instance: LAUNCHING at once, RUNNING when the agent confirms',
          body: LaunchRequest,
          response: { 202: LaunchResponse, ...errors },
        },
      },
      async (request, reply) => {
        const clientId = await tenant(request);
        if (!UUID_RE.test(request.body.agent_id)) throw notFound('agent', request.body.agent_id);
        const res = await lifecycle.launch(
          clientId,
          request.body,
          requestIdOf(request),
          principalKey(request.principal!),
        );
        return reply.status(202).send(res);
      },
    );

    app.post(
      '/api/client/instances/:instance_id/terminate',
      {
        schema: {
          tags: ['client'],
          summary: 'Terminate an instance: TERMINATING at once, TERMINATED when AWS confirms',
          params: InstanceParams,
          body: TerminateRequest,
          response: { 202: TerminateResponse, ...errors },
        },
      },
      async (request, reply) => {
        const clientId = await tenant(request);
        const row = await ownInstance(clientId, request.params.instance_id);
        const res = await lifecycle.terminate(
          clientId,
          row.id,
          request.body.reason,
          requestIdOf(request),
          principalKey(request.principal!),
        );
        return reply.status(202).send(res);
      },
    );

    app.get(
      '/api/client/agents',
      {
        schema: {
          tags: ['client'],
          summary: 'Agents with status and instance counts',
          response: { 200: AgentList, ...errors },
        },
        ...typedListSerializer,
      },
      async (request) => ({ agents: await agents.list(await tenant(request)) }),
    );

    app.get(
      '/api/client/prices',
      {
        schema: {
          tags: ['client'],
          summary: 'Spot price series per pool from reported snapshots (at most 5,000 points, paged by pool)',
          querystring: PriceQuery,
          response: { 200: PriceResponse, ...errors },
        },
      },
      async (request) => {
        const q = request.query;
        const after =
          q.after_instance_type !== undefined && q.after_availability_zone !== undefined
            ? { instance_type: q.after_instance_type, availability_zone: q.after_availability_zone }
            : undefined;
        return insights.prices(await tenant(request), q.hours, q.instance_type, q.availability_zone, after);
      },
    );

    app.get(
      '/api/client/interruptions',
      {
        schema: {
          tags: ['client'],
          summary: 'Interruption signals (termination notices, rebalance recommendations)',
          querystring: z.object({ active: z.enum(['true', 'false']).default('false') }),
          response: { 200: InterruptionList, ...errors },
        },
      },
      async (request) => ({
        interruptions: await insights.interruptions(await tenant(request), request.query.active === 'true'),
      }),
    );
  };
