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
import { isUuid } from '../../repositories/ids.ts';
import type { AgentService } from '../../services/agent-service.ts';
import type { ClientService } from '../../services/client-service.ts';
import type { InsightService } from '../../services/insight-service.ts';
import type { InstanceQueries } from '../../services/instance-queries.ts';
import type { LifecycleService } from '../../services/lifecycle-service.ts';
import { requestIdOf, tenantOf } from '../client-request.ts';
import { answerRecorder } from '../idempotency.ts';
import { sendJsonBytes, typedSerializer } from '../typed-serializer.ts';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
};

export interface ClientRouteDeps {
  clients: ClientService;
  lifecycle: LifecycleService;
  agents: AgentService;
  insights: InsightService;
  instances: InstanceQueries;
}

export const clientRoutes =
  ({ clients, lifecycle, agents, insights, instances }: ClientRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tenant = tenantOf(clients);

    app.get(
      '/api/client/instances',
      {
        schema: {
          tags: ['client'],
          summary: 'Active instances (not TERMINATED)',
          response: { 200: InstanceList, ...errors },
        },
        ...typedSerializer,
      },
      // Already JSON bytes (held while nothing changed, brought forward by events): sent as they are.
      async (request, reply) => sendJsonBytes(reply, await instances.activeJson(await tenant(request))),
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
        ...typedSerializer,
      },
      async (request) =>
        instances.terminated(await tenant(request), request.query.limit, request.query.before),
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
      async (request) => instances.one(await tenant(request), request.params.instance_id),
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
      async (request) => instances.history(await tenant(request), request.params.instance_id),
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
        if (!isUuid(request.body.agent_id)) throw notFound('agent', request.body.agent_id);
        const res = await lifecycle.launch(
          clientId,
          request.body,
          requestIdOf(request),
          principalKey(request.principal!),
          answerRecorder(request, 202),
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
        const instanceId = await instances.ownId(clientId, request.params.instance_id);
        const res = await lifecycle.terminate(
          clientId,
          instanceId,
          request.body.reason,
          requestIdOf(request),
          principalKey(request.principal!),
          answerRecorder(request, 202),
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
        ...typedSerializer,
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
        ...typedSerializer,
      },
      async (request, reply) => {
        const q = request.query;
        const after =
          q.after_instance_type !== undefined && q.after_availability_zone !== undefined
            ? { instance_type: q.after_instance_type, availability_zone: q.after_availability_zone }
            : undefined;
        const json = await insights.pricesJson(
          await tenant(request),
          q.hours,
          q.instance_type,
          q.availability_zone,
          after,
        );
        // Already JSON (a held window's page, or JSON.stringify of the read one): sent as it is.
        return sendJsonBytes(reply, Buffer.from(json));
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
