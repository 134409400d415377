import {
  AgentConfig,
  AgentConfigUpdate,
  AgentParams,
  DowntimeAnalytics,
  DowntimeQuery,
  ErrorBody,
  InstanceParams,
  PromoteRequest,
  ReplicaRequest,
  ReplicaResponse,
  SwitchList,
  SwitchListQuery,
  SwitchRequest,
  SwitchStarted,
} from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalKey } from '../../auth/principal.ts';
import type { ClientService } from '../../services/client-service.ts';
import type { SwitchService } from '../../services/switch-service.ts';
import { requestIdOf, tenantOf } from '../client-request.ts';
import { answerRecorder } from '../idempotency.ts';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
};

export interface SwitchRouteDeps {
  clients: ClientService;
  switching: SwitchService;
}

/** Moving workloads: config, switch, replicas, promotion, switch history and downtime. Routes only translate. */
export const switchingRoutes =
  ({ clients, switching }: SwitchRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tenant = tenantOf(clients);

    app.get(
      '/api/client/agents/:agent_id/config',
      {
        schema: {
          tags: ['client'],
          summary: "An agent's config: mode, candidate pools, thresholds, rebalance response, Elastic IP",
          params: AgentParams,
          response: { 200: AgentConfig, ...errors },
        },
      },
      async (request) => switching.getConfig(await tenant(request), request.params.agent_id),
    );

    app.put(
      '/api/client/agents/:agent_id/config',
      {
        schema: {
          tags: ['client'],
          summary: 'Replace the config; `version` must be the one read (409 VERSION_CONFLICT otherwise)',
          params: AgentParams,
          body: AgentConfigUpdate,
          response: { 200: AgentConfig, ...errors },
        },
      },
      async (request) =>
        switching.putConfig(
          await tenant(request),
          request.params.agent_id,
          request.body,
          principalKey(request.principal!),
        ),
    );

    app.post(
      '/api/client/agents/:agent_id/switch',
      {
        schema: {
          tags: ['client'],
          summary: 'Switch the workload to another pool: launch there, cut over, retire the old primary',
          params: AgentParams,
          body: SwitchRequest,
          response: { 202: SwitchStarted, ...errors },
        },
      },
      async (request, reply) => {
        const res = await switching.switchPool(
          await tenant(request),
          request.params.agent_id,
          request.body,
          requestIdOf(request),
          principalKey(request.principal!),
          answerRecorder(request, 202),
        );
        return reply.status(202).send(res);
      },
    );

    app.post(
      '/api/client/agents/:agent_id/replicas',
      {
        schema: {
          tags: ['client'],
          summary: 'Launch a replica (stand-by in another pool, running its own agent)',
          params: AgentParams,
          body: ReplicaRequest,
          response: { 202: ReplicaResponse, ...errors },
        },
      },
      async (request, reply) => {
        const res = await switching.addReplica(
          await tenant(request),
          request.params.agent_id,
          request.body,
          requestIdOf(request),
          principalKey(request.principal!),
          answerRecorder(request, 202),
        );
        return reply.status(202).send(res);
      },
    );

    app.post(
      '/api/client/instances/:instance_id/promote',
      {
        schema: {
          tags: ['client'],
          summary: 'Promote a RUNNING replica to primary, through the same cut-over as a switch',
          params: InstanceParams,
          body: PromoteRequest,
          response: { 202: SwitchStarted, ...errors },
        },
      },
      async (request, reply) => {
        const res = await switching.promote(
          await tenant(request),
          request.params.instance_id,
          request.body.reason ?? null,
          requestIdOf(request),
          principalKey(request.principal!),
          answerRecorder(request, 202),
        );
        return reply.status(202).send(res);
      },
    );

    app.get(
      '/api/client/switches',
      {
        schema: {
          tags: ['client'],
          summary: 'Switches, newest first',
          querystring: SwitchListQuery,
          response: { 200: SwitchList, ...errors },
        },
      },
      async (request) => switching.list(await tenant(request), request.query),
    );

    app.get(
      '/api/client/analytics/downtime',
      {
        schema: {
          tags: ['client'],
          summary: 'Downtime of switches over the last `hours`, overall and by trigger',
          querystring: DowntimeQuery,
          response: { 200: DowntimeAnalytics, ...errors },
        },
      },
      async (request) => switching.downtime(await tenant(request), request.query.hours),
    );
  };
